// A thin C++ face over SPI. Every call goes through PgCall(), so a failing query arrives as a
// PgError and the C++ frames above it unwind. PostgreSQL side: include after postgres.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cartwatch::spi {

struct Param {
    Oid type;
    Datum value;
    bool is_null;
};

// How the names in a session's queries are looked up.
enum class Lookup {
    // The search_path in force: the function's own SET clause, if it has one.
    kSearchPath,
    // pg_catalog alone, whatever the caller's or the function's settings. For a SECURITY
    // DEFINER trigger this is the guard a pinned search_path is, without the cost a SET clause
    // has at every call (a GUC saved, set and restored, and the caller's search path computed
    // again afterwards). The queries must name every cartwatch object with its schema. It is an
    // override search path, which PostgreSQL applies to everything that runs meanwhile, the
    // triggers the queries fire included, and which even their own SET clauses cannot change:
    // only for sessions whose writes fire nothing but cartwatch's own triggers. The transaction's
    // abort removes it after an error, as it does SPI's state.
    kCatalogOnly,
};

// Connects to SPI for the lifetime of one SQL-callable function. Finish() must be called on the
// success path; after an error the aborting transaction releases SPI itself, so the destructor
// does nothing then (calling SPI_finish mid-abort is not safe).
class Session {
public:
    explicit Session(Lookup lookup = Lookup::kSearchPath);
    ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void Finish();

private:
    bool finished_ = false;
    bool catalog_only_ = false;
};

// Runs a query with parameters; returns the number of rows processed. The result is in
// SPI_tuptable until the next query.
uint64_t Execute(const char* sql, const std::vector<Param>& params, bool read_only,
                 int expected_status, long row_limit = 0);

// A read-only query read a page at a time, for results too big to hold at once (an export of
// every customer). Each Fetch() replaces the previous page in SPI_tuptable and frees it; the
// portal is closed by Close() on the success path, or by the transaction's abort after an error.
class Cursor {
public:
    explicit Cursor(const char* sql);
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    // The next `rows` rows (fewer at the end, 0 when done) into SPI_tuptable.
    uint64_t Fetch(long rows);
    void Close();

private:
    Portal portal_ = nullptr;
    SPITupleTable* page_ = nullptr; // the last page fetched, freed by the next Fetch()
};

// A plan prepared on first use and kept for the life of the backend, for hot paths (triggers).
//
// A call whose array parameters are small (the usual trigger firing: one order, one cart, a
// handful of customers) runs one generic plan, planned once. PostgreSQL's own choice would plan
// such a statement again at every call whenever the generic plan's estimate (an array of unknown
// length) looks dearer than the custom plans', which for a recount through the figures views
// means ~0.4 ms of planning for 0.08 ms of work on every add-to-cart. A call with a larger array
// (a bulk UPDATE, an import) is planned for its values as PostgreSQL would: planning is cheap
// next to its run there, and the row counts decide the best join.
class KeptPlan {
public:
    // Arrays of at most this many elements take the generic plan.
    static constexpr int kGenericPlanMaxElements = 64;

    KeptPlan(const char* sql, std::vector<Oid> argument_types)
        : sql_(sql), argument_types_(std::move(argument_types)) {}
    KeptPlan(const KeptPlan&) = delete;
    KeptPlan& operator=(const KeptPlan&) = delete;

    uint64_t Execute(const std::vector<Param>& params, bool read_only, int expected_status);

private:
    SPIPlanPtr Prepare(int cursor_options);
    bool TakesGenericPlan(const std::vector<Param>& params);

    const char* sql_;
    std::vector<Oid> argument_types_;
    std::vector<bool> is_array_; // per argument, filled on first use
    SPIPlanPtr generic_plan_ = nullptr;
    SPIPlanPtr chosen_plan_ = nullptr;
};

// A one-dimensional array of `element_type` built from `values`, as a Datum for a parameter.
Datum MakeArray(const std::vector<Datum>& values, Oid element_type);

// Reads column `column` (1-based) of row `row` of the last result, as text (NULL = nullopt).
std::optional<std::string> TextValue(uint64_t row, int column);

} // namespace cartwatch::spi

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

// Connects to SPI for the lifetime of one SQL-callable function. Finish() must be called on the
// success path; after an error the aborting transaction releases SPI itself, so the destructor
// does nothing then (calling SPI_finish mid-abort is not safe).
class Session {
public:
    Session();
    ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void Finish();

private:
    bool finished_ = false;
};

// Runs a query with parameters; returns the number of rows processed. The result is in
// SPI_tuptable until the next query.
uint64_t Execute(const char* sql, const std::vector<Param>& params, bool read_only,
                 int expected_status, long row_limit = 0);

// A plan prepared on first use and kept for the life of the backend, for hot paths (triggers).
class KeptPlan {
public:
    KeptPlan(const char* sql, std::vector<Oid> argument_types)
        : sql_(sql), argument_types_(std::move(argument_types)) {}
    KeptPlan(const KeptPlan&) = delete;
    KeptPlan& operator=(const KeptPlan&) = delete;

    uint64_t Execute(const std::vector<Param>& params, bool read_only, int expected_status);

private:
    const char* sql_;
    std::vector<Oid> argument_types_;
    SPIPlanPtr plan_ = nullptr;
};

// A one-dimensional array of `element_type` built from `values`, as a Datum for a parameter.
Datum MakeArray(const std::vector<Datum>& values, Oid element_type);

// Reads column `column` (1-based) of row `row` of the last result, as text (NULL = nullopt).
std::optional<std::string> TextValue(uint64_t row, int column);

} // namespace cartwatch::spi

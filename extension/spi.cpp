extern "C" {
#include "postgres.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
}

#include "pg_boundary.hpp"
#include "spi.hpp"

namespace cartwatch::spi {
namespace {

struct ParamArrays {
    std::vector<Oid> types;
    std::vector<Datum> values;
    std::vector<char> nulls; // SPI's convention: ' ' = not null, 'n' = null
};

ParamArrays Split(const std::vector<Param>& params) {
    ParamArrays arrays;
    for (const Param& p : params) {
        arrays.types.push_back(p.type);
        arrays.values.push_back(p.value);
        arrays.nulls.push_back(p.is_null ? 'n' : ' ');
    }
    return arrays;
}

void CheckStatus(int status, int expected_status, const char* sql) {
    if (status != expected_status) {
        throw UserError(ErrorKind::Internal, std::string("unexpected SPI result ") +
                                                 SPI_result_code_string(status) +
                                                 " for query: " + sql);
    }
}

} // namespace

Session::Session(Lookup lookup) {
    int status = PgCall([] { return SPI_connect(); });
    if (status != SPI_OK_CONNECT) {
        throw UserError(ErrorKind::Internal, "could not connect to SPI");
    }
    if (lookup != Lookup::kCatalogOnly) {
        return;
    }
    catalog_only_ = true;
    PgCall([] {
        OverrideSearchPath catalog_only{};
        catalog_only.schemas = NIL;
        catalog_only.addCatalog = true;
        catalog_only.addTemp = false; // a temporary table cannot stand in for a cartwatch one
        PushOverrideSearchPath(&catalog_only);
    });
}

void Session::Finish() {
    if (!finished_) {
        finished_ = true;
        const bool catalog_only = catalog_only_;
        PgCall([=] {
            if (catalog_only) {
                PopOverrideSearchPath();
            }
            return SPI_finish();
        });
    }
}

uint64_t Execute(const char* sql, const std::vector<Param>& params, bool read_only,
                 int expected_status, long row_limit) {
    ParamArrays arrays = Split(params);
    const int count = static_cast<int>(params.size());
    Oid* types = arrays.types.data();
    Datum* values = arrays.values.data();
    const char* nulls = arrays.nulls.data();
    int status = PgCall([=] {
        return SPI_execute_with_args(sql, count, types, values, nulls, read_only, row_limit);
    });
    CheckStatus(status, expected_status, sql);
    return SPI_processed;
}

SPIPlanPtr KeptPlan::Prepare(int cursor_options) {
    const char* sql = sql_;
    const int count = static_cast<int>(argument_types_.size());
    Oid* types = argument_types_.data();
    return PgCall([=] {
        SPIPlanPtr prepared = SPI_prepare_cursor(sql, count, types, cursor_options);
        if (prepared == nullptr) {
            elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
        }
        SPI_keepplan(prepared);
        return prepared;
    });
}

bool KeptPlan::TakesGenericPlan(const std::vector<Param>& params) {
    if (is_array_.empty() && !argument_types_.empty()) {
        for (const Oid type : argument_types_) {
            is_array_.push_back(PgCall([=] { return get_element_type(type) != InvalidOid; }));
        }
    }
    for (std::size_t at = 0; at < params.size() && at < is_array_.size(); ++at) {
        if (!is_array_[at] || params[at].is_null) {
            continue;
        }
        const Datum value = params[at].value;
        const int elements = PgCall([=] {
            ArrayType* array = DatumGetArrayTypeP(value);
            return ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
        });
        if (elements > kGenericPlanMaxElements) {
            return false;
        }
    }
    return true;
}

uint64_t KeptPlan::Execute(const std::vector<Param>& params, bool read_only, int expected_status) {
    SPIPlanPtr plan = nullptr;
    if (TakesGenericPlan(params)) {
        if (generic_plan_ == nullptr) {
            generic_plan_ = Prepare(CURSOR_OPT_GENERIC_PLAN);
        }
        plan = generic_plan_;
    } else {
        if (chosen_plan_ == nullptr) {
            chosen_plan_ = Prepare(0);
        }
        plan = chosen_plan_;
    }
    ParamArrays arrays = Split(params);
    Datum* values = arrays.values.data();
    const char* nulls = arrays.nulls.data();
    int status = PgCall([=] { return SPI_execute_plan(plan, values, nulls, read_only, 0); });
    CheckStatus(status, expected_status, sql_);
    return SPI_processed;
}

Cursor::Cursor(const char* sql) {
    portal_ = PgCall([=] {
        Portal portal = SPI_cursor_open_with_args(nullptr, sql, 0, nullptr, nullptr, nullptr, true,
                                                  CURSOR_OPT_NO_SCROLL);
        if (portal == nullptr) {
            elog(ERROR, "SPI_cursor_open failed: %s", SPI_result_code_string(SPI_result));
        }
        return portal;
    });
}

uint64_t Cursor::Fetch(long rows) {
    Portal portal = portal_;
    SPITupleTable* previous = page_;
    page_ = nullptr;
    return PgCall([=, &page = page_] {
        if (previous != nullptr) {
            SPI_freetuptable(previous); // only the page this cursor fetched before
        }
        SPI_cursor_fetch(portal, true, rows);
        page = SPI_tuptable;
        return SPI_processed;
    });
}

void Cursor::Close() {
    if (portal_ != nullptr) {
        Portal portal = portal_;
        portal_ = nullptr;
        PgCall([=] { SPI_cursor_close(portal); });
    }
}

Datum MakeArray(const std::vector<Datum>& values, Oid element_type) {
    const Datum* data = values.data();
    const int count = static_cast<int>(values.size());
    return PgCall([=] {
        int16 length;
        bool by_value;
        char alignment;
        get_typlenbyvalalign(element_type, &length, &by_value, &alignment);
        return PointerGetDatum(construct_array(const_cast<Datum*>(data), count, element_type,
                                               length, by_value, alignment));
    });
}

std::optional<std::string> TextValue(uint64_t row, int column) {
    char* text = PgCall(
        [=] { return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column); });
    if (text == nullptr) {
        return std::nullopt;
    }
    return std::string(text);
}

} // namespace cartwatch::spi

// The cart lines of a claimed reminder as one jsonb array, built by an aggregate in C++.
//
// Design: every claim renders each of its carts' lines as
//   [{"name": ..., "variant": ..., "quantity": ..., "line_total": ..., "product_id": ...,
//     "unit_price": ...}, ...]
// and jsonb_agg(jsonb_build_object(...)) spent half of cart_contents() on it: for every value
// it looks up the type's category and output function, prints a number as text and parses the
// text back (numeric_out, numeric_in), builds a jsonb object, and jsonb_agg then takes that
// object apart again to push it into the array. This aggregate pushes the values straight into
// one JsonbParseState in the aggregate's memory context and converts it once, at the end.
//
// The result is the very value jsonb_build_object makes, so its text (what cartwatchd parses)
// is byte for byte the same: the same keys, sorted by PostgreSQL's own jsonb object code;
// numbers as the same numeric values (a finite numeric converted through its text is itself);
// NaN and infinity as the strings jsonb_build_object makes of them; NULL as null. The regress
// test reminders_claim_items compares the two for every kind of value.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

#include "pg_boundary.hpp"

namespace cartwatch {
namespace {

// The aggregate's state: the array under construction, in the aggregate's memory context.
struct CartLines {
    JsonbParseState* parse_state = nullptr;
};

// A key of the line object. pushJsonbValue keeps the pointer, so the text must be static.
JsonbValue Key(const char* name) {
    JsonbValue key;
    key.type = jbvString;
    key.val.string.len = static_cast<int>(strlen(name));
    key.val.string.val = const_cast<char*>(name);
    return key;
}

JsonbValue Null() {
    JsonbValue value;
    value.type = jbvNull;
    return value;
}

// The functions below allocate in CurrentMemoryContext, the aggregate's context, so that the
// values outlive the input row; PostgreSQL calls only (they run inside PgCall).

JsonbValue String(const char* data, size_t length) {
    // jsonb_build_object's limit (checkStringLen in jsonb.c): an entry's length has 28 bits.
    if (length > JENTRY_OFFLENMASK) {
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("string too long to represent as jsonb string"),
                        errdetail("Due to an implementation restriction, jsonb strings cannot "
                                  "exceed %d bytes.",
                                  JENTRY_OFFLENMASK)));
    }
    JsonbValue value;
    value.type = jbvString;
    value.val.string.len = static_cast<int>(length);
    value.val.string.val = pnstrdup(data, length);
    return value;
}

JsonbValue TextValue(Datum datum) {
    text* copy = DatumGetTextPP(datum);
    return String(VARDATA_ANY(copy), VARSIZE_ANY_EXHDR(copy));
}

// A number as jsonb_build_object stores it: NaN and infinity, which JSON cannot write as
// numbers, become strings of their text ("NaN", "Infinity"), as datum_to_jsonb makes them.
JsonbValue NumericValue(Numeric number) {
    if (numeric_is_nan(number) || numeric_is_inf(number)) {
        const char* printed =
            DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(number)));
        return String(printed, strlen(printed));
    }
    JsonbValue value;
    value.type = jbvNumeric;
    value.val.numeric = number;
    return value;
}

void PushPair(JsonbParseState** state, const char* name, JsonbValue value) {
    JsonbValue key = Key(name);
    pushJsonbValue(state, WJB_KEY, &key);
    pushJsonbValue(state, WJB_VALUE, &value);
}

// Appends one line (the aggregate's arguments 1 to 6) to the array.
void AddLine(CartLines* lines, FunctionCallInfo fcinfo) {
    if (lines->parse_state == nullptr) {
        pushJsonbValue(&lines->parse_state, WJB_BEGIN_ARRAY, nullptr);
    }
    JsonbParseState** state = &lines->parse_state;
    const auto argument = [fcinfo](int at, JsonbValue (*convert)(Datum)) {
        return PG_ARGISNULL(at) ? Null() : convert(PG_GETARG_DATUM(at));
    };
    const auto bigint = [](Datum datum) {
        return NumericValue(int64_to_numeric(DatumGetInt64(datum)));
    };
    const auto integer = [](Datum datum) {
        return NumericValue(int64_to_numeric(DatumGetInt32(datum)));
    };
    // A copy with a 4-byte header, as numeric_in would have made it.
    const auto numeric = [](Datum datum) {
        return NumericValue(reinterpret_cast<Numeric>(PG_DETOAST_DATUM_COPY(datum)));
    };
    pushJsonbValue(state, WJB_BEGIN_OBJECT, nullptr);
    PushPair(state, "product_id", argument(1, bigint));
    PushPair(state, "name", argument(2, TextValue));
    PushPair(state, "quantity", argument(3, integer));
    PushPair(state, "unit_price", argument(4, numeric));
    PushPair(state, "line_total", argument(5, numeric));
    PushPair(state, "variant", argument(6, TextValue));
    // Sorts the keys into jsonb's order, as for any object.
    pushJsonbValue(state, WJB_END_OBJECT, nullptr);
}

MemoryContext AggregateContext(FunctionCallInfo fcinfo) {
    MemoryContext context = nullptr;
    if (!AggCheckCallContext(fcinfo, &context)) {
        throw UserError(ErrorKind::InvalidParameter,
                        "cart_lines_transfn() must be called by the aggregate cart_lines");
    }
    return context;
}

} // namespace
} // namespace cartwatch

using namespace cartwatch;

// cart_lines_transfn(state internal, product_id bigint, name text, quantity integer,
// unit_price numeric, line_total numeric, variant text) RETURNS internal. Not strict: a NULL
// value is a line's null.
CW_FUNCTION(cartwatch_cart_lines_transfn) {
    MemoryContext context = AggregateContext(fcinfo);
    CartLines* lines =
        PG_ARGISNULL(0) ? nullptr : reinterpret_cast<CartLines*>(PG_GETARG_POINTER(0));
    PgCall([&] {
        MemoryContext caller = MemoryContextSwitchTo(context);
        if (lines == nullptr) {
            lines = static_cast<CartLines*>(palloc0(sizeof(CartLines)));
        }
        AddLine(lines, fcinfo);
        MemoryContextSwitchTo(caller);
    });
    PG_RETURN_POINTER(lines);
}

// cart_lines_finalfn(state internal) RETURNS jsonb. The aggregate is declared
// FINALFUNC_MODIFY = READ_WRITE: closing the array ends the state's use.
CW_FUNCTION(cartwatch_cart_lines_finalfn) {
    AggregateContext(fcinfo);
    if (PG_ARGISNULL(0)) {
        PG_RETURN_NULL();
    }
    auto* lines = reinterpret_cast<CartLines*>(PG_GETARG_POINTER(0));
    Jsonb* result = PgCall([lines] {
        return JsonbValueToJsonb(pushJsonbValue(&lines->parse_state, WJB_END_ARRAY, nullptr));
    });
    PG_RETURN_JSONB_P(result);
}

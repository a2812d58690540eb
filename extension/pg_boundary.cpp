// The C++/PostgreSQL error boundary; the rules are in pg_boundary.hpp.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "commands/trigger.h"
#include "mb/pg_wchar.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

#include <cstring>
#include <new>
#include <string>

#include "pg_boundary.hpp"

namespace cartwatch {
namespace {

// The texts of a caught exception are copied into fixed buffers, not palloc'd or std::string'd:
// inside a catch handler neither an allocation failure nor a longjmp may happen.
constexpr size_t kTextCapacity = 4096;
char error_message[kTextCapacity];
char error_detail[kTextCapacity];
char error_hint[kTextCapacity];

// How many bytes of text (length bytes, longer than fits) to keep so that no character is cut:
// a message must stay valid in its encoding, or a client that decodes it fails on it. UTF-8
// backs off over continuation bytes; the server's encoding asks PostgreSQL, which neither
// allocates nor raises errors for this.
size_t FittingLength(const char* text, size_t length, bool utf8) {
    if (length < kTextCapacity) {
        return length;
    }
    if (!utf8) {
        return static_cast<size_t>(pg_mbcliplen(text, static_cast<int>(kTextCapacity - 1),
                                                static_cast<int>(kTextCapacity - 1)));
    }
    size_t keep = kTextCapacity - 1;
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) {
        --keep;
    }
    return keep;
}

// Copies a text in UTF-8 (utf8) or in the server's encoding, cut to fit at a character boundary.
void CopyText(char* target, const char* source, bool utf8 = true) {
    if (source == nullptr) {
        target[0] = '\0';
        return;
    }
    const size_t length = FittingLength(source, strlen(source), utf8);
    std::memcpy(target, source, length);
    target[length] = '\0';
}

// cartwatch's C++ texts are UTF-8, PostgreSQL's messages are in the database's encoding. Run
// out of every catch block: the conversion may fail (a character the encoding lacks), and then
// the text goes as it is rather than hide the error it describes. Catching that error without
// a subtransaction is safe here: a conversion error is raised by pure computation (no lock,
// buffer or catalog state to undo), and the caller raises its own ERROR right after, which
// aborts the transaction anyway.
void ConvertToServerEncoding(char* text) {
    if (text[0] == '\0' || GetDatabaseEncoding() == PG_UTF8 ||
        GetDatabaseEncoding() == PG_SQL_ASCII) {
        return;
    }
    MemoryContext caller_context = CurrentMemoryContext;
    PG_TRY();
    {
        const char* converted = pg_any_to_server(text, static_cast<int>(strlen(text)), PG_UTF8);
        if (converted != text) {
            CopyText(text, converted, false); // may have grown: cut in the server's encoding
        }
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        FlushErrorState();
    }
    PG_END_TRY();
}

void CopyTexts(const DetailedError& e, bool utf8) {
    CopyText(error_message, e.what(), utf8);
    CopyText(error_detail, e.detail().c_str(), utf8);
    CopyText(error_hint, e.hint().c_str(), utf8);
}

int SqlStateOf(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::InvalidParameter:
        return ERRCODE_INVALID_PARAMETER_VALUE;
    case ErrorKind::InvalidText:
        return ERRCODE_INVALID_TEXT_REPRESENTATION;
    case ErrorKind::NotFound:
        return ERRCODE_UNDEFINED_OBJECT;
    case ErrorKind::OutOfRange:
        return ERRCODE_DATETIME_FIELD_OVERFLOW;
    case ErrorKind::ProgramLimit:
        return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
    case ErrorKind::Internal:
        return ERRCODE_INTERNAL_ERROR;
    }
    return ERRCODE_INTERNAL_ERROR;
}

} // namespace

TriggerData* TriggerCall(FunctionCallInfo fcinfo, const char* function_name) {
    if (!CALLED_AS_TRIGGER(fcinfo)) {
        throw UserError(ErrorKind::InvalidParameter,
                        std::string(function_name) + "() must be called as a trigger");
    }
    return reinterpret_cast<TriggerData*>(fcinfo->context);
}

Datum CallGuarded(const char* function_name, GuardedBody body, FunctionCallInfo fcinfo) {
    int sqlstate = ERRCODE_INTERNAL_ERROR;
    bool internal = false;
    bool utf8_texts = true; // a PgError's texts are PostgreSQL's own, already converted
    try {
        return body(fcinfo);
    } catch (const PgError& e) {
        sqlstate = e.sqlerrcode();
        utf8_texts = false;
        CopyTexts(e, false);
    } catch (const UserError& e) {
        sqlstate = SqlStateOf(e.kind());
        CopyTexts(e, true);
    } catch (const std::bad_alloc&) {
        sqlstate = ERRCODE_OUT_OF_MEMORY;
        CopyText(error_message, "out of memory");
        CopyText(error_detail, nullptr);
        CopyText(error_hint, nullptr);
    } catch (const std::exception& e) {
        internal = true;
        CopyText(error_message, e.what());
        CopyText(error_detail, nullptr);
        CopyText(error_hint, nullptr);
    } catch (...) {
        internal = true;
        CopyText(error_message, "unknown C++ exception");
        CopyText(error_detail, nullptr);
        CopyText(error_hint, nullptr);
    }
    // Out of every catch block now: the exception object is destroyed and ereport may longjmp.
    if (utf8_texts) {
        for (char* text : {error_message, error_detail, error_hint}) {
            ConvertToServerEncoding(text);
        }
    }
    if (internal) {
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("internal error in %s: %s", function_name, error_message),
                        errhint("This is a bug in cartwatch; the server and this session are "
                                "unaffected.")));
    }
    ereport(ERROR, (errcode(sqlstate), errmsg_internal("%s", error_message),
                    error_detail[0] ? errdetail_internal("%s", error_detail) : 0,
                    error_hint[0] ? errhint("%s", error_hint) : 0));
    pg_unreachable();
}

namespace detail {

namespace {
struct ThunkCall {
    void (*thunk)(void*);
    void* context;
    std::exception_ptr cpp_failure;
};

// A C++ exception must never leave a PG_TRY block (it would skip PG_END_TRY and leave
// PG_exception_stack pointing at a dead frame), so it is parked here and rethrown later.
void RunThunk(ThunkCall* call) {
    try {
        call->thunk(call->context);
    } catch (...) {
        call->cpp_failure = std::current_exception();
    }
}
} // namespace

void RunCatchingPgError(void (*thunk)(void*), void* context) {
    ThunkCall call{thunk, context, nullptr};
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* volatile pg_failure = nullptr;

    PG_TRY();
    { RunThunk(&call); }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        pg_failure = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();

    if (call.cpp_failure) {
        std::rethrow_exception(call.cpp_failure);
    }
    if (pg_failure != nullptr) {
        ErrorData* failure = pg_failure;
        throw PgError(failure->sqlerrcode, failure->message ? failure->message : "",
                      failure->detail ? failure->detail : "", failure->hint ? failure->hint : "");
    }
}

} // namespace detail
} // namespace cartwatch

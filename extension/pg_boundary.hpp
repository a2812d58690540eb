// The wall between PostgreSQL and C++, in both directions.
//
// PostgreSQL reports errors with longjmp; C++ unwinds with exceptions. Neither may cross the
// other's frames: a longjmp over a live std::string leaks it (or leaves a mutex locked), and a
// C++ exception escaping into PostgreSQL's C frames calls std::terminate, which takes the whole
// cluster down, not one query. So:
//
//  * every SQL-callable C++ function is declared with CW_FUNCTION(name); its body runs under
//    CallGuarded(), which catches every C++ exception, copies the texts, leaves the catch block
//    and only then calls ereport(ERROR);
//  * C++ code that owns destructors calls PostgreSQL only through PgCall(), which catches a
//    PostgreSQL ERROR with PG_TRY and rethrows it as cartwatch::PgError, so C++ frames unwind.
//
// This header belongs to the PostgreSQL side: include it after postgres.h and fmgr.h.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "errors.hpp"

struct TriggerData; // commands/trigger.h

namespace cartwatch {

using GuardedBody = Datum (*)(FunctionCallInfo);

// Runs body(fcinfo); any C++ exception becomes an ordinary PostgreSQL ERROR.
Datum CallGuarded(const char* function_name, GuardedBody body, FunctionCallInfo fcinfo);

// The trigger data of a call that must be a trigger's; a UserError naming `function_name`
// ("...() must be called as a trigger") when it is not.
TriggerData* TriggerCall(FunctionCallInfo fcinfo, const char* function_name);

namespace detail {
// Runs thunk(context) under PG_TRY. A PostgreSQL ERROR is copied, flushed and thrown as PgError;
// a C++ exception from the thunk is carried across PG_TRY and rethrown after PG_END_TRY.
void RunCatchingPgError(void (*thunk)(void*), void* context);
} // namespace detail

// Calls fn() (which calls PostgreSQL) so that a PostgreSQL ERROR arrives as a C++ PgError.
// A caught PgError must travel to the boundary: the transaction is unusable until it aborts.
template <typename Fn> decltype(auto) PgCall(Fn&& fn) {
    using Result = decltype(fn());
    if constexpr (std::is_void_v<Result>) {
        detail::RunCatchingPgError([](void* f) { (*static_cast<Fn*>(f))(); }, &fn);
    } else {
        Result result{};
        auto store = [&result, &fn] { result = fn(); };
        detail::RunCatchingPgError([](void* s) { (*static_cast<decltype(store)*>(s))(); }, &store);
        return result;
    }
}

} // namespace cartwatch

// Declares an SQL-callable function whose body is C++ run under CallGuarded().
#define CW_FUNCTION(name)                                                                          \
    extern "C" {                                                                                   \
    PG_FUNCTION_INFO_V1(name);                                                                     \
    }                                                                                              \
    static Datum name##_body(PG_FUNCTION_ARGS);                                                    \
    Datum name(PG_FUNCTION_ARGS) {                                                                 \
        return cartwatch::CallGuarded(#name, name##_body, fcinfo);                                 \
    }                                                                                              \
    static Datum name##_body(PG_FUNCTION_ARGS)

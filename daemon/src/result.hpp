// A value or an error message: how the mail-building path reports failures.
//
// Rendering and MIME assembly run for every reminder the daemon sends, so a
// bad row (an invalid address, a hostile URL) must come back as a value the
// caller can log and store, not as an exception unwinding through the event
// loop. Exceptions stay reserved for start-up (template loading, key files).
#ifndef CARTWATCH_RESULT_HPP
#define CARTWATCH_RESULT_HPP

#include <string>
#include <utility>
#include <variant>

namespace cartwatch {

/// Why an operation refused its input; the text is meant for a log line.
struct Error {
    std::string message;
};

template <typename T> class Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    const T& value() const& { return std::get<T>(state_); }
    T& value() & { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }

    const std::string& error() const { return std::get<Error>(state_).message; }

private:
    std::variant<T, Error> state_;
};

/// Shorthand so call sites read `return Fail("...")`.
inline Error Fail(std::string message) {
    return Error{std::move(message)};
}

} // namespace cartwatch

#endif

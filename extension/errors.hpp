// Errors raised by cartwatch's C++ code. Pure C++: no PostgreSQL header is needed to throw one;
// pg_boundary.cpp maps each kind to an SQLSTATE when the error crosses into PostgreSQL.
#pragma once

#include <stdexcept>
#include <string>

namespace cartwatch {

// The SQLSTATE classes cartwatch reports; kept small on purpose so callers choose by meaning.
enum class ErrorKind {
    InvalidParameter, // 22023 invalid_parameter_value
    InvalidText,      // 22P02 invalid_text_representation
    NotFound,         // 42704 undefined_object
    OutOfRange,       // 22008 datetime_field_overflow
    ProgramLimit,     // 54000 program_limit_exceeded
    Internal,         // XX000 internal_error
};

// An error with PostgreSQL's three texts: message in lower case without a final period, detail
// and hint as full sentences (either may be empty).
class DetailedError : public std::runtime_error {
public:
    DetailedError(const std::string& message, std::string detail, std::string hint)
        : std::runtime_error(message), detail_(std::move(detail)), hint_(std::move(hint)) {}

    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    std::string detail_;
    std::string hint_;
};

// A user-facing error thrown from C++ code; its kind chooses the SQLSTATE.
class UserError : public DetailedError {
public:
    UserError(ErrorKind kind, const std::string& message, std::string detail = {},
              std::string hint = {})
        : DetailedError(message, std::move(detail), std::move(hint)), kind_(kind) {}

    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

// A PostgreSQL ERROR caught under PgCall() while C++ frames were live. It carries the original
// SQLSTATE and texts so the boundary re-raises the very same error once the frames unwound.
class PgError : public DetailedError {
public:
    PgError(int sqlerrcode, const std::string& message, std::string detail, std::string hint)
        : DetailedError(message, std::move(detail), std::move(hint)), sqlerrcode_(sqlerrcode) {}

    int sqlerrcode() const noexcept { return sqlerrcode_; }

private:
    int sqlerrcode_;
};

} // namespace cartwatch

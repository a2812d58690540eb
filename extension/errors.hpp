// Errors raised by cartwatch's C++ code. Pure C++: no PostgreSQL header is needed to throw one;
// pg_boundary.cpp maps each kind to an SQLSTATE when the error crosses into PostgreSQL.
#pragma once

#include <stdexcept>
#include <string>

namespace cartwatch {

// The SQLSTATE classes cartwatch reports; kept small on purpose so callers choose by meaning.
enum class ErrorKind {
    InvalidParameter,    // 22023 invalid_parameter_value
    InvalidText,         // 22P02 invalid_text_representation
    NotFound,            // 42704 undefined_object
    ProgramLimit,        // 54000 program_limit_exceeded
    Internal,            // XX000 internal_error
};

// A user-facing error thrown from C++: message in lower case without a final period, detail and
// hint as full sentences, as PostgreSQL's own messages are written.
class UserError : public std::runtime_error {
public:
    UserError(ErrorKind kind, const std::string& message, std::string detail = {},
              std::string hint = {})
        : std::runtime_error(message), kind_(kind), detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    ErrorKind kind() const noexcept { return kind_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    ErrorKind kind_;
    std::string detail_;
    std::string hint_;
};

// A PostgreSQL ERROR caught under PgCall() while C++ frames were live. It carries the original
// SQLSTATE and texts so the boundary re-raises the very same error once the frames unwound.
class PgError : public std::runtime_error {
public:
    PgError(int sqlerrcode, const std::string& message, std::string detail, std::string hint)
        : std::runtime_error(message), sqlerrcode_(sqlerrcode), detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    int sqlerrcode() const noexcept { return sqlerrcode_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    int sqlerrcode_;
    std::string detail_;
    std::string hint_;
};

} // namespace cartwatch

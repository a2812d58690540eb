// Text between the database's encoding and UTF-8, which cartwatch's C++ writers and parsers
// (CSV, XML) read and write. PostgreSQL side: include after postgres.h.
#pragma once

#include <cstddef>
#include <string>

namespace cartwatch {

// Text in the database's encoding -> UTF-8. Raises (as PgError) what the conversion raises.
std::string Utf8FromServer(const char* data, std::size_t length);

// UTF-8 -> a text Datum in the database's encoding. Call under PgCall().
Datum ServerText(const std::string& utf8);

} // namespace cartwatch

// The Polish vocative of a first name, for greetings: "Cześć Anno!", "Dzień dobry, Piotrze!".
// Polish addresses a person in the vocative case; the nominative ("Cześć Anna!") reads as
// careless to many customers. The case is not predictable from spelling alone (Marek -> Marku,
// Piotr -> Piotrze, Paweł -> Pawle, Kasia -> Kasiu, Maria -> Mario, Jerzy -> Jerzy), so the
// forms come from a list of the first names common in Poland, and any other name is left as it
// is: a foreign or rare name in the nominative is usual, a wrongly declined one is not.
#ifndef CARTWATCH_POLISH_VOCATIVE_HPP
#define CARTWATCH_POLISH_VOCATIVE_HPP

#include <string>
#include <string_view>

namespace cartwatch {

/// The vocative of `first_name` when every part of it (split at blanks and hyphens: "Anna
/// Maria", "Anna-Maria") is a name on the list, in the capitalisation the name came in
/// ("ANNA" -> "ANNO", "anna" -> "anno", "Anna" -> "Anno"); otherwise `first_name` unchanged.
std::string PolishVocative(std::string_view first_name);

} // namespace cartwatch

#endif

#include "polish_vocative.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

// Each ending declines its own way, none follows from the spelling alone; and the case the
// shop stored the name in is kept.
TEST(PolishVocative, DeclinesTheCommonNamesInTheirOwnCase) {
    const std::pair<const char*, const char*> cases[] = {
        {"Anna", "Anno"},      {"Maria", "Mario"},     {"Kasia", "Kasiu"},
        {"Ola", "Olu"},        {"Piotr", "Piotrze"},   {"Marek", "Marku"},
        {"Paweł", "Pawle"},    {"Robert", "Robercie"}, {"Tomasz", "Tomaszu"},
        {"Jerzy", "Jerzy"},    {"Łukasz", "Łukaszu"},  {"Małgorzata", "Małgorzato"},
        {"Łucja", "Łucjo"},    {"ANNA", "ANNO"},       {"anna", "anno"},
        {"ŁUKASZ", "ŁUKASZU"}, {"łukasz", "łukaszu"},  {"aNNa", "Anno"},
    };
    for (const auto& [name, vocative] : cases) {
        EXPECT_EQ(PolishVocative(name), vocative) << name;
    }
}

TEST(PolishVocative, DeclinesEachPartOfADoubleName) {
    EXPECT_EQ(PolishVocative("Anna Maria"), "Anno Mario");
    EXPECT_EQ(PolishVocative("Anna-Maria"), "Anno-Mario");
    // One part not on the list: the whole name as it is, never half declined.
    EXPECT_EQ(PolishVocative("Anna Jürgen"), "Anna Jürgen");
}

// Every name on the list is found: the list is searched by halves, so one out of its byte
// order would silently be left undeclined.
TEST(PolishVocative, FindsTheFirstAndLastNamesOfTheList) {
    EXPECT_EQ(PolishVocative("Ada"), "Ado");
    EXPECT_EQ(PolishVocative("Żaneta"), "Żaneto");
    EXPECT_EQ(PolishVocative("Łukasz"), "Łukaszu");
    EXPECT_EQ(PolishVocative("Zuzia"), "Zuziu");
}

TEST(PolishVocative, LeavesOtherNamesAsTheyAre) {
    for (const char* name : {"Jürgen", "Hélène", "Emma", "Zoë", "Xavier", "Annabelle", "Ann",
                             "Anna.", "", " ", "Anna ", "-Anna", "\xFF", "Zofia[31m"}) {
        EXPECT_EQ(PolishVocative(name), name) << name;
    }
}

} // namespace
} // namespace cartwatch

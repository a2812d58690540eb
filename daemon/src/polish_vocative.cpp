#include "polish_vocative.hpp"

#include "utf8.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utility>

namespace cartwatch {
namespace {

// Nominative and vocative, in lower case, in the nominative's byte order. The first names
// most often given in Poland (the PESEL registry's lists, men's and women's) with the
// diminutives shops commonly store (Kasia, Ola, Tomek). The vocatives are the standard ones; a
// name with two accepted forms has the one a letter or a shop greeting uses (Mario, not Maryjo).
constexpr std::array<std::pair<std::string_view, std::string_view>, 205> kVocatives{{
    {"ada", "ado"},
    {"adam", "adamie"},
    {"adrian", "adrianie"},
    {"agata", "agato"},
    {"agnieszka", "agnieszko"},
    {"ala", "alu"},
    {"aleksander", "aleksandrze"},
    {"aleksandra", "aleksandro"},
    {"alicja", "alicjo"},
    {"amelia", "amelio"},
    {"anastazja", "anastazjo"},
    {"andrzej", "andrzeju"},
    {"aneta", "aneto"},
    {"angelika", "angeliko"},
    {"ania", "aniu"},
    {"anita", "anito"},
    {"anna", "anno"},
    {"antek", "antku"},
    {"antoni", "antoni"},
    {"antonina", "antonino"},
    {"arkadiusz", "arkadiuszu"},
    {"artur", "arturze"},
    {"asia", "asiu"},
    {"barbara", "barbaro"},
    {"bartek", "bartku"},
    {"bartosz", "bartoszu"},
    {"basia", "basiu"},
    {"beata", "beato"},
    {"blanka", "blanko"},
    {"bogdan", "bogdanie"},
    {"bogumiła", "bogumiło"},
    {"bogusław", "bogusławie"},
    {"bożena", "bożeno"},
    {"celina", "celino"},
    {"czesław", "czesławie"},
    {"dagmara", "dagmaro"},
    {"damian", "damianie"},
    {"danuta", "danuto"},
    {"daria", "dario"},
    {"dariusz", "dariuszu"},
    {"dawid", "dawidzie"},
    {"dominik", "dominiku"},
    {"dominika", "dominiko"},
    {"dorota", "doroto"},
    {"edward", "edwardzie"},
    {"edyta", "edyto"},
    {"ela", "elu"},
    {"eliza", "elizo"},
    {"elżbieta", "elżbieto"},
    {"emil", "emilu"},
    {"emilia", "emilio"},
    {"emilka", "emilko"},
    {"eugeniusz", "eugeniuszu"},
    {"ewa", "ewo"},
    {"ewelina", "ewelino"},
    {"filip", "filipie"},
    {"franciszek", "franciszku"},
    {"franek", "franku"},
    {"gabriel", "gabrielu"},
    {"gabriela", "gabrielo"},
    {"gosia", "gosiu"},
    {"grażyna", "grażyno"},
    {"grzegorz", "grzegorzu"},
    {"halina", "halino"},
    {"hanna", "hanno"},
    {"helena", "heleno"},
    {"henryk", "henryku"},
    {"hubert", "hubercie"},
    {"ignacy", "ignacy"},
    {"igor", "igorze"},
    {"ilona", "ilono"},
    {"irena", "ireno"},
    {"ireneusz", "ireneuszu"},
    {"iwona", "iwono"},
    {"iza", "izo"},
    {"izabela", "izabelo"},
    {"jacek", "jacku"},
    {"jadwiga", "jadwigo"},
    {"jagoda", "jagodo"},
    {"jakub", "jakubie"},
    {"jan", "janie"},
    {"janina", "janino"},
    {"janusz", "januszu"},
    {"jarosław", "jarosławie"},
    {"jerzy", "jerzy"},
    {"joanna", "joanno"},
    {"jolanta", "jolanto"},
    {"julia", "julio"},
    {"julian", "julianie"},
    {"justyna", "justyno"},
    {"józef", "józefie"},
    {"kacper", "kacprze"},
    {"kamil", "kamilu"},
    {"kamila", "kamilo"},
    {"karol", "karolu"},
    {"karolina", "karolino"},
    {"kasia", "kasiu"},
    {"katarzyna", "katarzyno"},
    {"kazimierz", "kazimierzu"},
    {"kinga", "kingo"},
    {"klaudia", "klaudio"},
    {"konrad", "konradzie"},
    {"kornelia", "kornelio"},
    {"krystian", "krystianie"},
    {"krystyna", "krystyno"},
    {"krzysztof", "krzysztofie"},
    {"kuba", "kubo"},
    {"laura", "lauro"},
    {"lena", "leno"},
    {"leon", "leonie"},
    {"leszek", "leszku"},
    {"lidia", "lidio"},
    {"lucyna", "lucyno"},
    {"ludwik", "ludwiku"},
    {"maciej", "macieju"},
    {"magda", "magdo"},
    {"magdalena", "magdaleno"},
    {"maja", "majo"},
    {"malwina", "malwino"},
    {"marcin", "marcinie"},
    {"marek", "marku"},
    {"maria", "mario"},
    {"marian", "marianie"},
    {"marianna", "marianno"},
    {"mariola", "mariolo"},
    {"mariusz", "mariuszu"},
    {"marta", "marto"},
    {"martyna", "martyno"},
    {"marysia", "marysiu"},
    {"mateusz", "mateuszu"},
    {"małgorzata", "małgorzato"},
    {"michalina", "michalino"},
    {"michał", "michale"},
    {"mikołaj", "mikołaju"},
    {"milena", "mileno"},
    {"mirek", "mirku"},
    {"mirosław", "mirosławie"},
    {"mirosława", "mirosławo"},
    {"monika", "moniko"},
    {"natalia", "natalio"},
    {"nikodem", "nikodemie"},
    {"nikola", "nikolo"},
    {"nina", "nino"},
    {"norbert", "norbercie"},
    {"ola", "olu"},
    {"olga", "olgo"},
    {"oliwer", "oliwerze"},
    {"oliwia", "oliwio"},
    {"oskar", "oskarze"},
    {"patrycja", "patrycjo"},
    {"patryk", "patryku"},
    {"paula", "paulo"},
    {"paulina", "paulino"},
    {"paweł", "pawle"},
    {"piotr", "piotrze"},
    {"piotrek", "piotrku"},
    {"przemek", "przemku"},
    {"przemysław", "przemysławie"},
    {"radosław", "radosławie"},
    {"rafał", "rafale"},
    {"renata", "renato"},
    {"robert", "robercie"},
    {"roksana", "roksano"},
    {"roman", "romanie"},
    {"ryszard", "ryszardzie"},
    {"sara", "saro"},
    {"sebastian", "sebastianie"},
    {"stanisław", "stanisławie"},
    {"stanisława", "stanisławo"},
    {"stefan", "stefanie"},
    {"sylwester", "sylwestrze"},
    {"sylwia", "sylwio"},
    {"szymon", "szymonie"},
    {"sławomir", "sławomirze"},
    {"tadeusz", "tadeuszu"},
    {"teresa", "tereso"},
    {"tomasz", "tomaszu"},
    {"tomek", "tomku"},
    {"tymon", "tymonie"},
    {"tymoteusz", "tymoteuszu"},
    {"urszula", "urszulo"},
    {"wacław", "wacławie"},
    {"waldemar", "waldemarze"},
    {"wanda", "wando"},
    {"weronika", "weroniko"},
    {"wiesław", "wiesławie"},
    {"wiesława", "wiesławo"},
    {"wiktor", "wiktorze"},
    {"wiktoria", "wiktorio"},
    {"wiola", "wiolu"},
    {"wioletta", "wioletto"},
    {"witold", "witoldzie"},
    {"wojciech", "wojciechu"},
    {"wojtek", "wojtku"},
    {"władysław", "władysławie"},
    {"zbigniew", "zbigniewie"},
    {"zdzisław", "zdzisławie"},
    {"zenon", "zenonie"},
    {"zofia", "zofio"},
    {"zosia", "zosiu"},
    {"zuzanna", "zuzanno"},
    {"zuzia", "zuziu"},
    {"łucja", "łucjo"},
    {"łukasz", "łukaszu"},
    {"żaneta", "żaneto"},
}};

// The Polish letters beyond ASCII, lower and upper case (UTF-8).
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kPolishLetters{{
    {"ą", "Ą"},
    {"ć", "Ć"},
    {"ę", "Ę"},
    {"ł", "Ł"},
    {"ń", "Ń"},
    {"ó", "Ó"},
    {"ś", "Ś"},
    {"ź", "Ź"},
    {"ż", "Ż"},
}};

enum class Case { kLower, kUpper, kOther };

// Each character of `text` in one case; nullopt for a letter outside ASCII and Polish.
std::optional<std::string> ToCase(std::string_view text, bool upper, Case* seen = nullptr) {
    std::string out;
    bool any_lower = false;
    bool any_upper = false;
    for (std::size_t at = 0; at < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[at]);
        if (c < 0x80) {
            const bool is_upper = c >= 'A' && c <= 'Z';
            const bool is_lower = c >= 'a' && c <= 'z';
            any_upper |= is_upper;
            any_lower |= is_lower;
            out += upper && is_lower    ? static_cast<char>(c - 'a' + 'A')
                   : !upper && is_upper ? static_cast<char>(c - 'A' + 'a')
                                        : static_cast<char>(c);
            ++at;
            continue;
        }
        const std::size_t length = Utf8SequenceLength(c);
        const std::string_view letter = text.substr(at, length);
        const auto found =
            std::find_if(kPolishLetters.begin(), kPolishLetters.end(), [&](const auto& pair) {
                return pair.first == letter || pair.second == letter;
            });
        if (found == kPolishLetters.end()) {
            return std::nullopt;
        }
        any_upper |= found->second == letter;
        any_lower |= found->first == letter;
        out += upper ? found->second : found->first;
        at += length;
    }
    if (seen != nullptr) {
        *seen = any_upper && !any_lower   ? Case::kUpper
                : any_lower && !any_upper ? Case::kLower
                                          : Case::kOther;
    }
    return out;
}

// The vocative of one name, in the case the name came in; nullopt when it is not on the list.
std::optional<std::string> VocativeOfWord(std::string_view word) {
    Case seen = Case::kOther;
    const std::optional<std::string> lower = ToCase(word, false, &seen);
    if (!lower) {
        return std::nullopt;
    }
    const std::string_view key = *lower;
    const auto found =
        std::lower_bound(kVocatives.begin(), kVocatives.end(), key,
                         [](const auto& pair, std::string_view name) { return pair.first < name; });
    if (found == kVocatives.end() || found->first != key) {
        return std::nullopt;
    }
    const std::string_view vocative = found->second;
    if (seen == Case::kUpper && word.size() > 1) {
        return ToCase(vocative, true);
    }
    if (seen == Case::kLower) {
        return std::string(vocative);
    }
    // Capitalised (or a one-letter case mix): the first letter up, the rest as the list has it.
    const std::size_t first = Utf8SequenceLength(static_cast<unsigned char>(vocative[0]));
    return *ToCase(vocative.substr(0, first), true) + std::string(vocative.substr(first));
}

} // namespace

std::string PolishVocative(std::string_view first_name) {
    std::string out;
    std::size_t start = 0;
    while (start <= first_name.size()) {
        const std::size_t end = std::min(first_name.find_first_of(" -", start), first_name.size());
        const std::string_view word = first_name.substr(start, end - start);
        if (word.empty()) {
            return std::string(first_name);
        }
        const std::optional<std::string> vocative = VocativeOfWord(word);
        if (!vocative) {
            return std::string(first_name);
        }
        out += *vocative;
        if (end == first_name.size()) {
            break;
        }
        out += first_name[end];
        start = end + 1;
    }
    return out;
}

} // namespace cartwatch

// Start-up file loading shared by the template set and the DKIM signer.
#ifndef CARTWATCH_FILE_READING_HPP
#define CARTWATCH_FILE_READING_HPP

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace cartwatch {

/// The file's bytes, or nothing when it cannot be opened; callers turn that
/// into their own start-up error.
inline std::optional<std::string> ReadWholeFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

} // namespace cartwatch

#endif

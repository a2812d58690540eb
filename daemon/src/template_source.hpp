// What the template set reads in a template's text before kainjow parses it: its tags, the
// partials pasted in, a parse error's place as a translator sees it, and the runs of whole
// lines that render alike for every reminder. No I/O; errors are TemplateError, thrown at load.
#ifndef CARTWATCH_TEMPLATE_SOURCE_HPP
#define CARTWATCH_TEMPLATE_SOURCE_HPP

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cartwatch {

struct Tag {
    char kind; // 0 for a variable, else one of # ^ / > & { !
    std::string name;
    std::size_t begin; // where "{{" starts in the source
    std::size_t end;   // just past the closing braces
};

/// Lists the tags of a template. Good enough for checking: it follows the
/// Mustache grammar for the default delimiters and refuses delimiter changes.
std::vector<Tag> ScanTags(const std::string& source, const std::string& where);

/// kainjow ends a parse error with the byte offset where it found it ("Unclosed section
/// \"items\" at 539"); this puts the line and column in its place ("on line 12, column 7").
std::string WithLineAndColumn(const std::string& message, const std::string& source);

/// The template's source with every partial tag replaced by the partial's own
/// source, partials inside partials included. `including` holds the partials
/// being pasted, to refuse a partial that includes itself.
std::string InlinePartials(const std::string& source, const std::string& where,
                           const std::map<std::string, std::string>& partials,
                           std::vector<std::string>& including);

/// A run of whole lines of a template: [begin, end) of its source.
struct LineRun {
    std::size_t begin;
    std::size_t end;
    bool fixed; // every tag in it is a comment or a variable is_fixed_name accepts
};

/// Cuts a template into runs of whole lines, in order and covering all of it, each run as
/// long as it can be: a fixed run has no section and names only values that are the same for
/// every reminder; the lines between are the other kind. A line ends at a line feed outside
/// every tag and every section, so a section with its lines stays within one run.
std::vector<LineRun>
SplitIntoLineRuns(const std::string& source, const std::vector<Tag>& tags,
                  const std::function<bool(const std::string&)>& is_fixed_name);

} // namespace cartwatch

#endif

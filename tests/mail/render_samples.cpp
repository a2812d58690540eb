// Writes every sample reminder as <name>.eml plus <name>.json holding what a
// reader must decode from it (subject, addresses, both bodies), for the
// independent check in check_messages.py. Usage: render_samples <out-dir>
#include "sample_reminders.hpp"
#include "template_renderer.hpp"
#include "utf8.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

namespace {

using cartwatch::samples::Sample;

bool WriteFile(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return static_cast<bool>(out);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: render_samples <output directory>\n";
        return 2;
    }
    const std::filesystem::path out_dir = argv[1];
    std::filesystem::create_directories(out_dir);
    try {
        const cartwatch::TemplateSet templates(cartwatch::samples::TemplateRoot());
        std::vector<Sample> samples = cartwatch::samples::GoldenSamples();
        for (Sample& hostile : cartwatch::samples::HostileSamples()) {
            samples.push_back(std::move(hostile));
        }
        for (const Sample& sample : samples) {
            const auto content = templates.Render(sample.message);
            const auto built = cartwatch::BuildReminder(
                templates, sample.message, cartwatch::samples::FixedOptions(sample.name));
            if (!content || !built) {
                std::cerr << sample.name << ": " << (!content ? content.error() : built.error())
                          << "\n";
                return 1;
            }
            const nlohmann::json expected{
                {"subject", content->subject},
                {"from_name", cartwatch::SanitizeSingleLine(sample.message.shop.from_display_name)},
                {"from_addr", sample.message.shop.from_address},
                {"to_name", cartwatch::SanitizeSingleLine(sample.message.customer_name)},
                {"to_addr", sample.message.email},
                {"message_id", built->message_id},
                {"language", built->locale},
                {"unsubscribe_url", sample.message.unsubscribe_url},
                {"unsubscribe_mailto", sample.message.unsubscribe_mailto},
                {"text", content->text},
                {"html", content->html},
            };
            if (!WriteFile(out_dir / (sample.name + ".eml"), built->bytes) ||
                !WriteFile(out_dir / (sample.name + ".json"), expected.dump(2) + "\n")) {
                std::cerr << "cannot write " << sample.name << " to " << out_dir << "\n";
                return 1;
            }
        }
        std::cout << "rendered " << samples.size() << " messages to " << out_dir << "\n";
    } catch (const std::exception& error) {
        std::cerr << error.what() << "\n";
        return 1;
    }
    return 0;
}

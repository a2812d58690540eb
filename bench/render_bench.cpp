// cartwatch_render_bench: the CPU cartwatchd spends rendering one reminder, alone. Renders the
// messages bench/daemon.sh makes (a guest's first reminder with two cart lines, in pl, de, fr
// and en, cycling) through RenderReminder, as a sender thread does, and prints microseconds per
// message against a baseline measured in the same run: copying the same bytes into a new string,
// the least any renderer has to do, in each round right after the renders. Times are the
// thread's CPU time; speed is reported as the ratio, never asserted.
//
//   cartwatch_render_bench TEMPLATE_DIR [MESSAGES] [ROUNDS]
//   cartwatch_render_bench TEMPLATE_DIR --dump DIR   (writes each message with fixed boundary
//                                                     tokens, to compare two builds' bytes)
#include "reminder_rendering.hpp"

#include <algorithm>
#include <ctime>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using cartwatch::ClaimedReminder;
using cartwatch::Config;
using cartwatch::RenderedMessage;

// The thread's own CPU time: on a machine shared with other work, wall time also counts the
// time this thread waited for a core.
struct ThreadCpuClock {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<ThreadCpuClock, duration>;
    static time_point now() {
        timespec now{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        return time_point(std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec));
    }
};
using Clock = ThreadCpuClock;

// As bench/daemon.sh writes cartwatchd.toml.
Config BenchConfig(const std::string& template_dir) {
    Config config;
    config.smtp.from = "Sklep Żółw <sklep@shop.example>";
    config.smtp.from_name = "Sklep Żółw";
    config.smtp.from_address = "sklep@shop.example";
    config.shop.name = "Sklep Żółw";
    config.shop.address = "ul. Długa 1, 00-001 Warszawa";
    config.shop.recovery_url = "https://shop.example/cart/{token}";
    config.shop.unsubscribe_url = "https://shop.example/unsubscribe/{token}";
    config.templates.dir = template_dir;
    return config;
}

// As cartwatch.claim_reminders() returns bench/daemon.sh's guest carts: jsonb text of the two
// lines (keys in jsonb's order), 34-character tokens.
std::vector<ClaimedReminder> BenchReminders() {
    std::vector<ClaimedReminder> reminders;
    std::int64_t id = 1;
    for (const char* locale : {"pl", "de", "fr", "en"}) {
        ClaimedReminder reminder;
        reminder.reminder_id = id;
        reminder.cart_id = id;
        reminder.step = "first";
        reminder.attempt = 1;
        reminder.email = "customer" + std::to_string(id) + "@example.com";
        reminder.locale = locale;
        reminder.currency = "EUR";
        reminder.items_json =
            R"([{"name": "Kubek ceramiczny 350 ml", "variant": null, "quantity": 1, )"
            R"("line_total": 39.90, "product_id": 1, "unit_price": 39.90}, )"
            R"({"name": "T-shirt „Żółw”", "variant": null, "quantity": 2, )"
            R"("line_total": 118.00, "product_id": 2, "unit_price": 59.00}])";
        reminder.total = "157.90";
        reminder.recovery_token = "AQEAAAAAAAAAAbXk3n2Qm8pZcT0rVwYh4s";
        reminder.unsubscribe_token = "AQIAAAAAAAAAAf9Lq2aHc7DkR1uWnE5oGj";
        reminder.message_key = std::to_string(id) + ".1764590000";
        reminders.push_back(std::move(reminder));
        ++id;
    }
    return reminders;
}

double Median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Boundary tokens that repeat, so two builds' messages can be compared byte for byte.
std::string FixedToken(std::size_t length) {
    return std::string(length, 'B');
}

const std::chrono::system_clock::time_point kDate{std::chrono::seconds(1764590000)};

int Dump(const Config& config, const cartwatch::TemplateSet& templates, const std::string& dir) {
    for (const ClaimedReminder& reminder : BenchReminders()) {
        const auto rendered =
            cartwatch::RenderReminder(templates, reminder, config, kDate, FixedToken);
        if (!rendered) {
            std::fprintf(stderr, "%s: %s\n", reminder.locale.c_str(), rendered.error().c_str());
            return 1;
        }
        std::ofstream(dir + "/" + reminder.locale + ".eml", std::ios::binary) << rendered->bytes;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s TEMPLATE_DIR [MESSAGES] [ROUNDS] | --dump DIR\n", argv[0]);
        return 2;
    }
    const Config config = BenchConfig(argv[1]);
    const cartwatch::TemplateSet templates(config.templates.dir);
    if (argc == 4 && std::string(argv[2]) == "--dump") {
        return Dump(config, templates, argv[3]);
    }
    const long messages = argc > 2 ? std::atol(argv[2]) : 20000;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;
    const std::vector<ClaimedReminder> reminders = BenchReminders();
    const cartwatch::RandomTokenSource boundaries = cartwatch::FastBoundaryTokens();

    // One message of each language, rendered before timing: the thread's template copy is made
    // on the first render, as on a sender thread, and these are the bytes the baseline copies.
    std::vector<std::string> bytes;
    std::size_t total_size = 0;
    for (const ClaimedReminder& reminder : reminders) {
        const auto rendered = cartwatch::RenderReminder(
            templates, reminder, config, std::chrono::system_clock::now(), boundaries);
        if (!rendered) {
            std::fprintf(stderr, "%s: %s\n", reminder.locale.c_str(), rendered.error().c_str());
            return 1;
        }
        total_size += rendered->bytes.size();
        bytes.push_back(rendered->bytes);
    }

    std::vector<double> render_us;
    std::vector<double> copy_us;
    std::vector<double> ratios;
    std::size_t sink = 0; // keeps the copies from being optimised away
    for (int round = 0; round < rounds; ++round) {
        const auto render_start = Clock::now();
        for (long i = 0; i < messages; ++i) {
            const auto rendered = cartwatch::RenderReminder(
                templates, reminders[i % reminders.size()], config, kDate, boundaries);
            sink += rendered ? rendered->bytes.size() : 0;
        }
        const auto copy_start = Clock::now();
        for (long i = 0; i < messages; ++i) {
            const std::string copy(bytes[i % bytes.size()]);
            sink += static_cast<unsigned char>(copy[copy.size() / 2]);
        }
        const auto copy_end = Clock::now();
        const auto us = [&](Clock::duration elapsed) {
            return std::chrono::duration<double, std::micro>(elapsed).count() / messages;
        };
        render_us.push_back(us(copy_start - render_start));
        copy_us.push_back(us(copy_end - copy_start));
        ratios.push_back(render_us.back() / copy_us.back());
    }
    std::printf("messages: %ld per round, %d rounds, pl/de/fr/en, %zu bytes on average\n", messages,
                rounds, total_size / reminders.size());
    std::printf("render (RenderReminder): %.2f us of CPU per message (median round)\n",
                Median(render_us));
    std::printf("render, fastest round: %.2f us of CPU per message\n",
                *std::min_element(render_us.begin(), render_us.end()));
    std::printf("baseline (copying its bytes): %.3f us of CPU per message\n", Median(copy_us));
    std::printf("ratio render/copy: %.0f (median of the rounds' ratios)\n", Median(ratios));
    return sink == 0 ? 1 : 0;
}

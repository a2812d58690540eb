// From a claimed outbox row to the bytes a sender thread sends: the daemon's configuration
// (shop identity, link templates) meets the mail library (templates, MIME). No I/O.
#pragma once

#include "config.hpp"
#include "dkim_signer.hpp"
#include "mime.hpp"
#include "outbox.hpp"
#include "result.hpp"
#include "template_renderer.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cartwatch {

// The Message-ID of a reminder: the same on every attempt (so a receiver can drop a
// duplicate), and unguessable (a hash of the reminder's secret unsubscribe token), so nobody
// can send a message with that id first. "<cw.42.1732370000.3f9a...@shop.example>".
std::string ReminderMessageId(const ClaimedReminder& reminder, const std::string& from_address);

// MIME boundaries only have to be absent from the message, not secret: a generator per thread,
// seeded once, instead of opening the kernel's random device for every message. (Message-IDs
// do not come from here.)
RandomTokenSource FastBoundaryTokens();

// Renders the reminder for sending at `now`; boundary_tokens makes the MIME boundary (empty:
// the mail library's default source); dkim, when given, signs it.
Result<RenderedMessage> RenderReminder(const TemplateSet& templates,
                                       const ClaimedReminder& reminder, const Config& config,
                                       std::chrono::system_clock::time_point now,
                                       const RandomTokenSource& boundary_tokens = {},
                                       const DkimSigner* dkim = nullptr);

// The signer the dkim.* settings ask for; nullptr when signing is off. Throws ConfigError when
// the key cannot be read or used: making the signer signs a probe message.
std::shared_ptr<const DkimSigner> DkimSignerFor(const Config& config);

// Renders a made-up reminder in every language of the set, both steps, with these settings.
// What every real reminder shares (the sender's address, the shop, the links, the templates)
// is checked once, at start, at each reload and by check-config, instead of failing each
// reminder in turn. Returns the first failure, naming the language and step.
std::optional<std::string> CheckSampleRendering(const TemplateSet& templates, const Config& config,
                                                const DkimSigner* dkim = nullptr);

} // namespace cartwatch

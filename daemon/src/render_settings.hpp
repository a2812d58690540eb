// What cartwatchd's sender threads render with. A reload swaps the templates, the
// configuration and the DKIM signer as one; a sender reads the pair when it starts a message, so a
// message queued before a reload but rendered after it gets the new settings, and none mixes the
// two.
#pragma once

#include "config.hpp"
#include "dkim_signer.hpp"
#include "template_renderer.hpp"

#include <memory>
#include <mutex>

namespace cartwatch {

// The current templates and configuration, shared by the event loop and the sender threads.
class RenderSettings {
public:
    struct Snapshot {
        std::shared_ptr<const TemplateSet> templates;
        std::shared_ptr<const Config> config;
        std::shared_ptr<const DkimSigner> dkim; // null: messages go unsigned
    };
    void Set(Snapshot snapshot) {
        std::lock_guard<std::mutex> lock(mutex_);
        current_ = std::move(snapshot);
    }
    Snapshot Current() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return current_;
    }

private:
    mutable std::mutex mutex_;
    Snapshot current_;
};

} // namespace cartwatch

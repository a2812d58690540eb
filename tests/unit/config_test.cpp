#include "config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace cartwatch {
namespace {

namespace fs = std::filesystem;

const char* kMinimal = R"([database]
url = "postgresql://cartwatchd@localhost/shop"

[smtp]
url = "smtp://mail.example.com:587"
from = "Sklep Żółw <sklep@example.com>"

[shop]
name = "Sklep Żółw"
recovery_url = "https://shop.example/cart/recover/{token}"
unsubscribe_url = "https://shop.example/unsubscribe/{token}"
)";

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("cartwatchd-config-test-" +
                std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string Write(const std::string& name, const std::string& text) {
        const fs::path path = dir_ / name;
        std::ofstream(path) << text;
        return path.string();
    }

    ConfigSources Sources(const std::string& file) {
        ConfigSources sources;
        sources.file = file;
        sources.file_required = true;
        sources.environment = [this](const std::string& name) -> std::optional<std::string> {
            auto it = env_.find(name);
            return it == env_.end() ? std::nullopt : std::optional(it->second);
        };
        sources.environment_names = [this] {
            std::vector<std::string> names;
            for (const auto& [name, value] : env_) {
                names.push_back(name);
            }
            return names;
        };
        return sources;
    }

    // The message of the ConfigError that loading throws.
    std::string ErrorOf(const ConfigSources& sources) {
        try {
            LoadConfig(sources);
        } catch (const ConfigError& error) {
            return error.what();
        }
        return "(no error)";
    }

    fs::path dir_;
    std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, ReadsTheFileAndKeepsDefaults) {
    const Config config = LoadConfig(Sources(Write("c.toml", kMinimal)));
    EXPECT_EQ(config.database.url, "postgresql://cartwatchd@localhost/shop");
    EXPECT_EQ(config.smtp.from_name, "Sklep Żółw");
    EXPECT_EQ(config.smtp.from_address, "sklep@example.com");
    EXPECT_EQ(config.smtp.starttls, StartTls::kRequired);
    EXPECT_EQ(config.smtp.concurrency, 2);
    EXPECT_TRUE(config.smtp.verify_peer);
    EXPECT_EQ(config.daemon.poll_interval, std::chrono::seconds(30));
    EXPECT_EQ(config.daemon.batch_size, 50);
    EXPECT_TRUE(config.secrets.smtp_password.empty());
}

TEST_F(ConfigTest, EnvironmentOverridesTheFileAndFlagsOverrideBoth) {
    env_["CARTWATCH_SMTP_CONCURRENCY"] = "4";
    env_["CARTWATCH_DAEMON_POLL_INTERVAL"] = "5s";
    auto sources = Sources(Write("c.toml", std::string(kMinimal) + "[daemon]\nbatch_size = 7\n"));
    sources.overrides = {"smtp.concurrency=8", "smtp.rate_per_second=2.5"};
    const Config config = LoadConfig(sources);
    EXPECT_EQ(config.smtp.concurrency, 8);
    EXPECT_DOUBLE_EQ(config.smtp.rate_per_second, 2.5);
    EXPECT_EQ(config.daemon.poll_interval, std::chrono::seconds(5));
    EXPECT_EQ(config.daemon.batch_size, 7);
}

TEST_F(ConfigTest, WarnsOfAnEnvironmentVariableThatNamesNoSetting) {
    env_["CARTWATCH_SMTP_CONCURENCY"] = "8"; // a typo: changes nothing, so it is said
    env_["CARTWATCH_SMTP_CONCURRENCY"] = "4";
    env_["CARTWATCH_DATABASE_PASSWORD"] = "secret";
    env_["CARTWATCH_BUILD_DIR"] = "/tmp/build"; // no section of ours: a script's own
    const Config config = LoadConfig(Sources(Write("c.toml", kMinimal)));
    EXPECT_EQ(config.smtp.concurrency, 4);
    ASSERT_EQ(config.warnings.size(), 1u);
    EXPECT_NE(config.warnings[0].find("CARTWATCH_SMTP_CONCURENCY names no setting"),
              std::string::npos);
    EXPECT_EQ(config.warnings[0].find("8"), std::string::npos); // the value is not echoed
}

TEST_F(ConfigTest, DurationsAsNumbersOrText) {
    auto config = LoadConfig(
        Sources(Write("c.toml", std::string(kMinimal) + "[daemon]\npoll_interval = 2\n"
                                                        "shutdown_timeout = \"1m30s\"\n")));
    EXPECT_EQ(config.daemon.poll_interval, std::chrono::seconds(2));
    EXPECT_EQ(config.daemon.shutdown_timeout, std::chrono::seconds(90));
}

TEST_F(ConfigTest, AWrongValueNamesTheKeyAndTheLine) {
    const std::string file =
        Write("c.toml", std::string(kMinimal) + "[daemon]\n\nbatch_size = 0\n");
    EXPECT_EQ(ErrorOf(Sources(file)),
              file + " line 14: daemon.batch_size must be an integer from 1 to 10000");
}

// A batch the rate limit cannot send within half the lease would reach the lost_lease policy
// unsent: refused at start, with the size that fits.
TEST_F(ConfigTest, ABatchMustBeSentWithinHalfTheLease) {
    const std::string file = Write("c.toml", std::string(kMinimal) + "[daemon]\nbatch_size = 50\n");
    auto sources = Sources(file);
    sources.overrides = {"smtp.rate_per_second=1", "database.lease=30s"};
    EXPECT_EQ(ErrorOf(sources),
              file + " line 13: daemon.batch_size = 50 takes 50 s to send at "
                     "smtp.rate_per_second = 1, more than half of database.lease = 30s: set "
                     "batch_size to 15 or less, or raise the lease or the rate");
    sources.overrides = {"smtp.rate_per_second=1", "database.lease=30s", "daemon.batch_size=15"};
    EXPECT_EQ(LoadConfig(sources).daemon.batch_size, 15);
    sources.overrides = {"smtp.rate_per_second=0", "database.lease=30s"}; // no limit
    EXPECT_EQ(LoadConfig(sources).daemon.batch_size, 50);
    // The defaults fit: 50 at 10 per second is 5 s of a 5-minute lease.
    EXPECT_NO_THROW(LoadConfig(Sources(Write("d.toml", kMinimal))));
}

TEST_F(ConfigTest, AWrongTypeNamesTheKeyAndTheLine) {
    const std::string file =
        Write("c.toml", std::string(kMinimal) + "[daemon]\npoll_interval = true\n");
    EXPECT_NE(ErrorOf(Sources(file))
                  .find(file + " line 13: daemon.poll_interval must be a "
                               "duration"),
              std::string::npos);
}

TEST_F(ConfigTest, UnknownKeysAndSectionsAreErrorsNotSilence) {
    const std::string typo = Write("a.toml", std::string(kMinimal) + "[smtp2]\nx = 1\n");
    EXPECT_NE(ErrorOf(Sources(typo)).find("line 12: unknown section [smtp2]"), std::string::npos);
    const std::string key = Write("b.toml", std::string(kMinimal) + "[daemon]\nbatchsize = 10\n");
    EXPECT_EQ(ErrorOf(Sources(key)), key + " line 13: unknown key daemon.batchsize");
}

TEST_F(ConfigTest, ASyntaxErrorNamesTheLine) {
    const std::string file = Write("c.toml", "[database]\nurl = \"unterminated\n");
    EXPECT_EQ(ErrorOf(Sources(file)).rfind(file + " line 2: ", 0), 0u);
}

TEST_F(ConfigTest, PasswordsNeverComeFromTheFile) {
    const std::string file =
        Write("c.toml", std::string(kMinimal) + "[smtp]\n"); // duplicate table: syntax error
    EXPECT_NE(ErrorOf(Sources(file)), "(no error)");
    const std::string with_password =
        Write("p.toml", std::string(kMinimal).replace(std::string(kMinimal).find("[shop]"), 0,
                                                      "password = \"hunter2\"\n\n"));
    const std::string error = ErrorOf(Sources(with_password));
    EXPECT_NE(error.find("smtp.password is not read from the config file"), std::string::npos);
    EXPECT_EQ(error.find("hunter2"), std::string::npos);
}

TEST_F(ConfigTest, SecretsComeFromFilesOrTheEnvironment) {
    const std::string secret = Write("smtp-password", "s3cret\n");
    auto sources = Sources(
        Write("c.toml", std::string(kMinimal).replace(std::string(kMinimal).find("[shop]"), 0,
                                                      "username = \"shop\"\npassword_file = \"" +
                                                          secret + "\"\n\n")));
    EXPECT_EQ(LoadConfig(sources).secrets.smtp_password, "s3cret");
    env_["CARTWATCH_SMTP_PASSWORD"] = "from-env";
    env_["CARTWATCH_DATABASE_PASSWORD"] = "db-pass";
    const Config config = LoadConfig(sources);
    EXPECT_EQ(config.secrets.smtp_password, "from-env");
    EXPECT_EQ(config.secrets.database_password, "db-pass");
    // Printing the configuration shows that a password is set, never the password.
    const std::string described = DescribeConfig(config);
    EXPECT_EQ(described.find("from-env"), std::string::npos);
    EXPECT_EQ(described.find("db-pass"), std::string::npos);
    EXPECT_NE(described.find("password = \"(set)\""), std::string::npos);
    // A password written into the URL itself is not printed either.
    env_["CARTWATCH_DATABASE_URL"] = "postgresql://cw:url-pass@localhost/shop";
    const std::string with_url_password = DescribeConfig(LoadConfig(sources));
    EXPECT_EQ(with_url_password.find("url-pass"), std::string::npos);
    EXPECT_NE(with_url_password.find("postgresql://cw:(hidden)@localhost/shop"), std::string::npos);
}

TEST_F(ConfigTest, SystemdCredentialsAreFound) {
    Write("smtp-password", "from-credential");
    env_["CREDENTIALS_DIRECTORY"] = dir_.string();
    env_["CARTWATCH_SMTP_USERNAME"] = "shop";
    EXPECT_EQ(LoadConfig(Sources(Write("c.toml", kMinimal))).secrets.smtp_password,
              "from-credential");
    // The unit loads both credentials, so a setup without a database password has an empty
    // file: that is no password, and the connection string stays as written.
    Write("database-password", "");
    const Config config = LoadConfig(Sources(Write("c.toml", kMinimal)));
    EXPECT_TRUE(config.secrets.database_password.empty());
    EXPECT_EQ(ConnectionStringWithPassword(config.database.url, config.secrets.database_password),
              config.database.url);
}

TEST_F(ConfigTest, AnUnreadablePasswordFileIsAnError) {
    env_["CARTWATCH_SMTP_PASSWORD_FILE"] = (dir_ / "missing").string();
    EXPECT_NE(ErrorOf(Sources(Write("c.toml", kMinimal)))
                  .find("environment CARTWATCH_SMTP_PASSWORD_FILE: smtp.password_file: cannot "
                        "read"),
              std::string::npos);
}

TEST_F(ConfigTest, MissingRequiredKeysSayWhereToSetThem) {
    const std::string file = Write("c.toml", "[database]\nurl = \"dbname=shop\"\n");
    EXPECT_EQ(ErrorOf(Sources(file)), "smtp.from is required: set it in " + file +
                                          ", in CARTWATCH_SMTP_FROM or with --set smtp.from=...");
}

TEST_F(ConfigTest, ADryRunNeedsNoSmtpServer) {
    std::string text = kMinimal;
    text.erase(text.find("url = \"smtp://"),
               std::string("url = \"smtp://mail.example.com:587\"\n").size());
    auto sources = Sources(Write("c.toml", text));
    EXPECT_NE(ErrorOf(sources).find("smtp.url is required"), std::string::npos);
    sources.purpose = ConfigPurpose::kDryRun;
    sources.overrides = {"daemon.dry_run_dir=/tmp/out"};
    EXPECT_EQ(LoadConfig(sources).daemon.dry_run_dir, "/tmp/out");
}

TEST_F(ConfigTest, ChecksValuesWhereverTheyComeFrom) {
    const std::string file = Write("c.toml", kMinimal);
    env_["CARTWATCH_SMTP_STARTTLS"] = "maybe";
    EXPECT_EQ(ErrorOf(Sources(file)),
              "environment CARTWATCH_SMTP_STARTTLS: smtp.starttls must be \"required\" or \"off\"");
    env_.clear();
    auto sources = Sources(file);
    sources.overrides = {"shop.recovery_url=http://shop.example/{token}"};
    EXPECT_EQ(ErrorOf(sources), "--set shop.recovery_url: shop.recovery_url must be an https:// "
                                "URL (mail clients and RFC 8058 want https links)");
    sources.overrides = {"shop.unsubscribe_url=https://shop.example/unsubscribe"};
    EXPECT_NE(ErrorOf(sources).find("{token} exactly once"), std::string::npos);
    sources.overrides = {"smtp.url=http://mail.example.com"};
    EXPECT_NE(ErrorOf(sources).find("must start with smtp://"), std::string::npos);
    sources.overrides = {"smtp.from=Shop <not an address>"};
    EXPECT_NE(ErrorOf(sources).find("smtp.from must be an address"), std::string::npos);
    sources.overrides = {"daemon.metrics_listen=9187"};
    EXPECT_NE(ErrorOf(sources).find("must be host:port"), std::string::npos);
    sources.overrides = {"nonsense"};
    EXPECT_EQ(ErrorOf(sources), "--set nonsense: expected section.key=value");
    sources.overrides = {"smtp.password=x"};
    EXPECT_EQ(ErrorOf(sources), "--set smtp.password: unknown key smtp.password");
}

// A line break in a value would end an SMTP command or a mail header early and start another
// (header injection): refused wherever the value comes from, naming the key and the origin.
TEST_F(ConfigTest, LineBreaksInValuesAreRefusedWithTheKeyAndWhereItWasSet) {
    const std::string file = Write(
        "c.toml", std::string(kMinimal) + "address = \"ul. Długa 1\\r\\nBcc: x@evil.example\"\n");
    EXPECT_EQ(ErrorOf(Sources(file)), file + " line 12: shop.address must not contain control "
                                             "characters (line breaks, tabs)");
    const std::string good = Write("good.toml", kMinimal);
    env_["CARTWATCH_SMTP_USERNAME"] = "shop\r\nRSET";
    EXPECT_EQ(ErrorOf(Sources(good)), "environment CARTWATCH_SMTP_USERNAME: smtp.username must "
                                      "not contain control characters (line breaks, tabs)");
    env_.clear();
    auto sources = Sources(good);
    sources.overrides = {"smtp.helo_name=shop.example\nMAIL FROM:<x@evil.example>"};
    EXPECT_EQ(ErrorOf(sources), "--set smtp.helo_name: smtp.helo_name must not contain control "
                                "characters (line breaks, tabs)");
    sources.overrides = {"shop.name=Sklep\tŻółw"};
    EXPECT_NE(ErrorOf(sources).find("shop.name must not contain control characters"),
              std::string::npos);
}

TEST_F(ConfigTest, TheSenderMustBeOnePlainAddress) {
    const std::string minimal(kMinimal);
    const std::string from_line = "from = \"Sklep Żółw <sklep@example.com>\"";
    const auto with_from = [&](const std::string& name, const std::string& from) {
        std::string text = minimal;
        text.replace(text.find(from_line), from_line.size(), "from = " + from);
        return Write(name, text);
    };
    const std::string expected = " line 6: smtp.from must be an address, optionally with a "
                                 "display name (\"Shop <shop@example.com>\"): ";
    const std::string not_one =
        "it is not one plain address (a dot-atom local part, @, a domain with a dot)";
    for (const auto& [from, reason] :
         {std::pair(R"("Shop <shop@example.com>\r\nBcc: x@evil.example")",
                    "nothing may follow the > that ends the address"),
          std::pair(R"("shop@example.com, other@example.com")", not_one.c_str()),
          std::pair(R"("Shop <shop@example.com>, other@example.com")",
                    "nothing may follow the > that ends the address"),
          std::pair(R"("Shop\r\nBcc: x@evil.example <shop@example.com>")",
                    "the display name holds a line break, a control character or a < or >"),
          std::pair(R"("Shop <a@b@example.com>")", not_one.c_str()),
          std::pair(R"("Shop <shop>")", not_one.c_str()),
          std::pair(R"("Shop <sh op@example.com>")", not_one.c_str()),
          std::pair(R"("")", not_one.c_str())}) {
        const std::string file = with_from("from.toml", from);
        EXPECT_EQ(ErrorOf(Sources(file)), file + expected + reason) << from;
    }
    const std::string quoted = with_from("quoted.toml", R"("\"Sklep, Kraków\" <s@example.pl>")");
    const Config config = LoadConfig(Sources(quoted));
    EXPECT_EQ(config.smtp.from_name, "Sklep, Kraków");
    EXPECT_EQ(config.smtp.from_address, "s@example.pl");
}

// A Polish or German shop's own address: the domain in Unicode is taken in its ASCII form, the
// form the envelope, From:, the Message-IDs and DKIM's alignment all use; nothing to warn of.
TEST_F(ConfigTest, ASenderWithAUnicodeDomainTakesItsAsciiForm) {
    env_["CARTWATCH_SMTP_FROM"] = "Księgarnia Żółw <sklep@Księgarnia.pl>";
    const Config config = LoadConfig(Sources(Write("c.toml", kMinimal)));
    EXPECT_EQ(config.smtp.from, "Księgarnia Żółw <sklep@Księgarnia.pl>"); // as written
    EXPECT_EQ(config.smtp.from_name, "Księgarnia Żółw");
    EXPECT_EQ(config.smtp.from_address, "sklep@xn--ksigarnia-2ib.pl");
    EXPECT_TRUE(config.warnings.empty());
    env_["CARTWATCH_SMTP_FROM"] = "shop@müller.de";
    EXPECT_EQ(LoadConfig(Sources(Write("c.toml", kMinimal))).smtp.from_address,
              "shop@xn--mller-kva.de");
}

// A local part beyond ASCII has no ASCII form: it is taken as written, with a warning that it
// needs a relay with SMTPUTF8, said only where something is to be sent.
TEST_F(ConfigTest, ASenderWithALocalPartBeyondAsciiIsTakenWithAWarning) {
    env_["CARTWATCH_SMTP_FROM"] = "Łucja <łucja@księgarnia.pl>";
    const std::string file = Write("c.toml", kMinimal);
    const Config config = LoadConfig(Sources(file));
    EXPECT_EQ(config.smtp.from_name, "Łucja");
    EXPECT_EQ(config.smtp.from_address, "łucja@xn--ksigarnia-2ib.pl");
    ASSERT_EQ(config.warnings.size(), 1u);
    EXPECT_EQ(config.warnings[0],
              "smtp.from łucja@xn--ksigarnia-2ib.pl has a local part beyond ASCII: it can only be "
              "sent through a relay that offers SMTPUTF8 (RFC 6531; Postfix: smtputf8_enable = "
              "yes); with one that does not, nothing is sent and sending pauses until smtp.from "
              "or the relay changes");
    auto preview = Sources(file);
    preview.purpose = ConfigPurpose::kPreview;
    EXPECT_TRUE(LoadConfig(preview).warnings.empty());
    // The warning comes with the others, wherever the sender was set.
    env_.erase("CARTWATCH_SMTP_FROM");
    env_["CARTWATCH_SMTP_FORM"] = "typo";
    auto flag = Sources(file);
    flag.overrides = {"smtp.from=zoë@example.de"};
    const Config flagged = LoadConfig(flag);
    ASSERT_EQ(flagged.warnings.size(), 2u);
    EXPECT_NE(flagged.warnings[0].find("CARTWATCH_SMTP_FORM"), std::string::npos);
    EXPECT_EQ(flagged.warnings[1].find("smtp.from zoë@example.de has a local part beyond ASCII"),
              0u);
}

// What cannot be a sender is refused naming the key, where it was set and why.
TEST_F(ConfigTest, ASenderThatIsNotUtf8OrNoValidDomainIsRefusedWithTheReason) {
    const std::string file = Write("c.toml", kMinimal);
    const std::string form = "smtp.from must be an address, optionally with a display name "
                             "(\"Shop <shop@example.com>\"): ";
    env_["CARTWATCH_SMTP_FROM"] = "Sklep <\xB3ucja@example.pl>"; // ł in ISO 8859-2
    EXPECT_EQ(ErrorOf(Sources(file)),
              "environment CARTWATCH_SMTP_FROM: " + form + "it is not valid UTF-8");
    env_["CARTWATCH_SMTP_FROM"] = "Sklep \xA3\xF3"
                                  "d\xBC <sklep@example.pl>"; // the name too
    EXPECT_EQ(ErrorOf(Sources(file)),
              "environment CARTWATCH_SMTP_FROM: " + form + "it is not valid UTF-8");
    env_["CARTWATCH_SMTP_FROM"] = "Sklep <sklep@☃.example>";
    EXPECT_EQ(ErrorOf(Sources(file))
                  .find("environment CARTWATCH_SMTP_FROM: " + form +
                        "the address's domain is not a valid "
                        "internationalised domain name (IDNA2008): "),
              0u)
        << ErrorOf(Sources(file));
    env_["CARTWATCH_SMTP_FROM"] = "Sklep <łu\xC2\x85"
                                  "cja@example.pl>"; // U+0085, a C1 control
    EXPECT_NE(ErrorOf(Sources(file)).find(form + "the address's local part holds a control"),
              std::string::npos)
        << ErrorOf(Sources(file));
    env_["CARTWATCH_SMTP_FROM"] = "Sklep <łucja..nowak@example.pl>";
    EXPECT_NE(ErrorOf(Sources(file)).find(form + "it is not one plain address"), std::string::npos);
}

// The List-Unsubscribe mailto: stays ASCII: a Unicode domain in its ASCII form, as smtp.from's,
// and a local part beyond ASCII refused, since the link has no form without SMTPUTF8.
TEST_F(ConfigTest, TheUnsubscribeMailboxTakesItsAsciiForm) {
    const auto with = [&](const std::string& mailbox) {
        std::string text = kMinimal;
        text += "unsubscribe_mailbox = \"" + mailbox + "\"\n";
        return Write("u.toml", text);
    };
    EXPECT_EQ(LoadConfig(Sources(with("wypisz@Księgarnia.pl"))).shop.unsubscribe_mailbox,
              "wypisz@xn--ksigarnia-2ib.pl");
    EXPECT_EQ(LoadConfig(Sources(with(""))).shop.unsubscribe_mailbox, "");
    const std::string form = " line 12: shop.unsubscribe_mailbox must be a bare address such as "
                             "unsubscribe@shop.example (empty: none): ";
    const std::string utf8 = with("wypiszę@księgarnia.pl");
    EXPECT_EQ(ErrorOf(Sources(utf8)),
              utf8 + form +
                  "its local part is not ASCII, and the mailto: link in List-Unsubscribe must be");
    const std::string named = with("Sklep <wypisz@example.pl>");
    EXPECT_EQ(ErrorOf(Sources(named)), named + form + "it has a display name");
}

TEST_F(ConfigTest, ACaFileThatCannotBeReadIsAnErrorAtStart) {
    const std::string missing = (dir_ / "no-such-ca.pem").string();
    std::string text = kMinimal;
    text.replace(text.find("[shop]"), 6, "ca_file = \"" + missing + "\"\n\n[shop]");
    const std::string with_ca = Write("ca.toml", text);
    EXPECT_EQ(ErrorOf(Sources(with_ca)), with_ca + " line 8: smtp.ca_file: cannot read " + missing);
    // A dry run or a preview talks to no SMTP server: the file does not matter there.
    auto preview = Sources(with_ca);
    preview.purpose = ConfigPurpose::kPreview;
    EXPECT_EQ(LoadConfig(preview).smtp.ca_file, missing);
}

// DKIM is off unless dkim.domain is set; then it needs a selector and a key it can read (a
// file, else the dkim-key systemd credential), and warns when the domain cannot align with
// the sender's for DMARC.
TEST_F(ConfigTest, DkimNeedsADomainASelectorAndAReadableKey) {
    EXPECT_TRUE(LoadConfig(Sources(Write("c.toml", kMinimal))).dkim.domain.empty());
    const std::string key = Write("dkim.pem", "-----BEGIN PRIVATE KEY-----\n");
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
    const auto with = [&](const std::string& dkim) {
        return Write("d.toml", std::string(kMinimal) + "\n[dkim]\n" + dkim);
    };
    const Config on = LoadConfig(Sources(
        with("domain = \"Example.COM\"\nselector = \"cw2026\"\nkey_file = \"" + key + "\"\n")));
    EXPECT_EQ(on.dkim.domain, "example.com"); // DNS names in lower case
    EXPECT_EQ(on.dkim.selector, "cw2026");
    EXPECT_EQ(on.dkim.key_file, key);
    EXPECT_TRUE(on.warnings.empty());
    EXPECT_NE(DescribeConfig(on).find("[dkim]\ndomain = \"example.com\"\nselector = \"cw2026\""),
              std::string::npos);

    const std::string no_selector = with("domain = \"example.com\"\n");
    EXPECT_NE(ErrorOf(Sources(no_selector)).find("dkim.selector is required"), std::string::npos);
    const std::string no_domain = with("selector = \"cw2026\"\n");
    EXPECT_EQ(ErrorOf(Sources(no_domain)),
              no_domain + " line 14: dkim.domain is required to sign: set it, or remove the other "
                          "dkim keys");
    const std::string bad_name = with("domain = \"exa mple.com\"\nselector = \"cw2026\"\n");
    EXPECT_EQ(ErrorOf(Sources(bad_name)),
              bad_name + " line 14: dkim.domain must be a DNS name such as shop.example");
    // A Unicode domain is kept in the ASCII form DNS and d= know it by.
    EXPECT_EQ(LoadConfig(Sources(with("domain = \"Żółw.PL\"\nselector = \"cw\"\nkey_file = \"" +
                                      key + "\"\n")))
                  .dkim.domain,
              "xn--w-uga1v8h.pl");
    EXPECT_NE(ErrorOf(Sources(with("domain = \"☃.example\"\nselector = \"cw\"\n")))
                  .find("dkim.domain must be a DNS name such as shop.example: it is not a valid "
                        "internationalised domain name (IDNA2008)"),
              std::string::npos);
    EXPECT_NE(ErrorOf(Sources(with("domain = \"example.com\"\nselector = \"-cw\"\n")))
                  .find("dkim.selector must be a DNS name"),
              std::string::npos);
    const std::string missing = (dir_ / "missing.pem").string();
    const std::string unreadable =
        with("domain = \"example.com\"\nselector = \"cw\"\nkey_file = \"" + missing + "\"\n");
    EXPECT_EQ(ErrorOf(Sources(unreadable)),
              unreadable + " line 16: dkim.key_file: cannot read " + missing);
    // No key file named: the systemd credential, else an error that names the DNS record.
    const std::string credential = with("domain = \"example.com\"\nselector = \"cw\"\n");
    EXPECT_NE(ErrorOf(Sources(credential))
                  .find("dkim.key_file is required to sign (or a dkim-key systemd credential): "
                        "the PEM private key of cw._domainkey.example.com"),
              std::string::npos);
    fs::permissions(Write("dkim-key", "-----BEGIN PRIVATE KEY-----\n"), fs::perms::owner_read);
    env_["CREDENTIALS_DIRECTORY"] = dir_.string();
    EXPECT_EQ(LoadConfig(Sources(credential)).dkim.key_file, (dir_ / "dkim-key").string());
    // A key every user may read is said.
    fs::permissions(key, fs::perms::others_read, fs::perm_options::add);
    const Config readable = LoadConfig(
        Sources(with("domain = \"example.com\"\nselector = \"cw\"\nkey_file = \"" + key + "\"\n")));
    ASSERT_EQ(readable.warnings.size(), 1u);
    EXPECT_EQ(readable.warnings[0],
              "dkim.key_file " + key + " is readable by every user of this machine: chmod 600 it");
    fs::permissions(key, fs::perms::others_read, fs::perm_options::remove);
    // A parent of the sender's domain aligns (relaxed DMARC); another domain is warned of.
    EXPECT_TRUE(
        LoadConfig(Sources(with("domain = \"com\"\nselector = \"cw\"\n"))).warnings.empty());
    const Config other =
        LoadConfig(Sources(with("domain = \"mail-example.com\"\nselector = \"cw\"\n")));
    ASSERT_EQ(other.warnings.size(), 1u);
    EXPECT_EQ(other.warnings[0], "dkim.domain mail-example.com is not smtp.from's domain "
                                 "example.com nor a parent of it: DMARC will not pass on this "
                                 "signature");
}

TEST_F(ConfigTest, AMissingDefaultFileIsFineAMissingChosenFileIsNot) {
    auto sources = Sources((dir_ / "absent.toml").string());
    EXPECT_EQ(ErrorOf(sources), "cannot read the config file " + (dir_ / "absent.toml").string());
    sources.file_required = false;
    env_["CARTWATCH_DATABASE_URL"] = "dbname=shop";
    env_["CARTWATCH_SMTP_URL"] = "smtps://mail.example.com";
    env_["CARTWATCH_SMTP_FROM"] = "shop@example.com";
    env_["CARTWATCH_SHOP_NAME"] = "Shop";
    env_["CARTWATCH_SHOP_RECOVERY_URL"] = "https://s.example/r/{token}";
    env_["CARTWATCH_SHOP_UNSUBSCRIBE_URL"] = "https://s.example/u/{token}";
    EXPECT_EQ(LoadConfig(sources).smtp.url, "smtps://mail.example.com");
}

TEST(ConfigHelpers, ParsesMailboxes) {
    EXPECT_EQ(ParseMailbox("shop@example.com").value(),
              std::make_pair(std::string(), std::string("shop@example.com")));
    EXPECT_EQ(ParseMailbox("\"Sklep, Kraków\" <sklep@example.pl>").value(),
              std::make_pair(std::string("Sklep, Kraków"), std::string("sklep@example.pl")));
    EXPECT_FALSE(ParseMailbox("Shop <shop@example.com>\r\nBcc: x@evil.example"));
    EXPECT_FALSE(ParseMailbox("shop example.com"));
    EXPECT_FALSE(ParseMailbox("a@b@example.com"));
    EXPECT_FALSE(ParseMailbox("Shop <shop@localhost>")); // no dot: not a routable domain
    // What the mail library refuses as a From, refused here too (else every reminder fails).
    EXPECT_FALSE(ParseMailbox("Shop <shop@my_shop.example>"));
    EXPECT_FALSE(ParseMailbox("first..last@example.com"));
    // An internationalised domain is kept in the ASCII form every message carries it in; a
    // non-ASCII local part has none and is kept as written, byte for byte.
    EXPECT_EQ(ParseMailbox("Sklep <sklep@żółw.pl>").value(),
              std::make_pair(std::string("Sklep"), std::string("sklep@xn--w-uga1v8h.pl")));
    EXPECT_EQ(ParseMailbox("Sklep <żółw@Żółw.pl>").value(),
              std::make_pair(std::string("Sklep"), std::string("żółw@xn--w-uga1v8h.pl")));
    EXPECT_EQ(ParseMailbox("zoe\xcc\x88@example.de").value().second, "zoe\xcc\x88@example.de");
    EXPECT_FALSE(ParseMailbox("shop.@example.com"));
    EXPECT_FALSE(ParseMailbox("shop@example.com."));
    EXPECT_FALSE(ParseMailbox("shop(x)@example.com"));
    EXPECT_FALSE(ParseMailbox(std::string(65, 'a') + "@example.com"));
    EXPECT_TRUE(ParseMailbox(std::string(64, 'a') + "@example.com"));
    EXPECT_TRUE(ParseMailbox("Shop <first.last+tag@mail.example.com>"));
}

TEST(ConfigHelpers, HidesThePasswordOfAConnectionString) {
    EXPECT_EQ(ConnectionStringForDisplay("postgresql://cw:s3cret@db.example:5432/shop"),
              "postgresql://cw:(hidden)@db.example:5432/shop");
    EXPECT_EQ(
        ConnectionStringForDisplay("postgres://cw@h1,h2/shop?password=s3cret&sslmode=verify-full"),
        "postgres://cw@h1,h2/shop?password=(hidden)&sslmode=verify-full");
    EXPECT_EQ(ConnectionStringForDisplay("postgresql://cw@[::1]:5432/shop"),
              "postgresql://cw@[::1]:5432/shop");
    EXPECT_EQ(ConnectionStringForDisplay("host=db password='it\\'s a secret' dbname=shop"),
              "host=db password=(hidden) dbname=shop");
    EXPECT_EQ(ConnectionStringForDisplay("host = db  password = s3cret"),
              "host=db password=(hidden)");
    EXPECT_EQ(ConnectionStringForDisplay("dbname=shop"), "dbname=shop");
    // Text that does not read as a connection string is not shown if it names a password.
    EXPECT_EQ(ConnectionStringForDisplay("host=db password='s3cret"),
              "(not shown: it may hold a password)");
}

TEST(ConfigHelpers, AddsThePasswordToBothConnectionStringForms) {
    EXPECT_EQ(ConnectionStringWithPassword("postgresql://u@h/db", "p@ss word"),
              "postgresql://u@h/db?password=p%40ss%20word");
    EXPECT_EQ(ConnectionStringWithPassword("postgresql://u@h/db?sslmode=require", "x"),
              "postgresql://u@h/db?sslmode=require&password=x");
    EXPECT_EQ(ConnectionStringWithPassword("host=h dbname=db", "it's"),
              "host=h dbname=db password='it\\'s'");
    EXPECT_EQ(ConnectionStringWithPassword("dbname=db", ""), "dbname=db");
}

TEST(ConfigHelpers, ListenAddressesAndLinks) {
    EXPECT_EQ(ParseListenAddress("127.0.0.1:9187"),
              std::make_pair(std::string("127.0.0.1"), static_cast<unsigned short>(9187)));
    EXPECT_EQ(ParseListenAddress("[::1]:8080"),
              std::make_pair(std::string("::1"), static_cast<unsigned short>(8080)));
    EXPECT_FALSE(ParseListenAddress("127.0.0.1"));
    EXPECT_FALSE(ParseListenAddress("127.0.0.1:99999"));
    EXPECT_FALSE(ParseListenAddress(":80"));
    EXPECT_EQ(ExpandLink("https://s.example/u/{token}?x=1", "abc"), "https://s.example/u/abc?x=1");
    EXPECT_EQ(EnvironmentName("smtp", "rate_per_second"), "CARTWATCH_SMTP_RATE_PER_SECOND");
}

} // namespace
} // namespace cartwatch

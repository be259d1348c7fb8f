#include "gateway/cli/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <new>
#include <string>
#include <system_error>
#include <vector>

#include "gateway/cli/command.h"
#include "gateway/cli/config_check.h"
#include "gateway/cli/journal.h"
#include "gateway/cli/send.h"
#include "gateway/common/text.h"

namespace fcpgw::gateway {

using namespace cli;

std::string_view version() noexcept { return FCPGW_VERSION; }

int run_cli(std::span<const std::string> args, std::ostream& out, std::ostream& err,
            ServeFn serve) noexcept {
  Reporter rep(err);
  try {
    CLI::App app{
        "fcpgw: HL7 v2 <-> FHIR R4 (UK Core) gateway for First Contact Practitioner services.\n"
        "Exit codes: 0 ok, 1 validation found errors, 2 bad input or usage, 3 internal or "
        "environment failure.",
        "fcpgw"};
    app.set_version_flag("--version", std::string("fcpgw ") + std::string(version()));
    app.require_subcommand(0, 1);

    Options opt;
    auto add_config = [&](CLI::App* sub) {
      sub->add_option("--config", opt.config_file,
                      "Configuration file (JSON, see config/README.md): mappings directory, "
                      "mapping constants, limits. Explicit options win over it");
    };
    auto add_common = [&](CLI::App* sub) {
      sub->add_option("--max-input-bytes", opt.max_input,
                      "Largest message or JSON document accepted, in bytes (suffixes KiB, MiB "
                      "allowed; default: limits.input.max_bytes of the configuration, 16MiB)")
          ->transform(CLI::AsSizeValue(false))
          ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 31));
      sub->add_option("--mappings", opt.mappings,
                      "Directory of mapping files (default: mappings.dir of the configuration, "
                      "else $FCPGW_MAPPINGS_DIR, else the bundled mappings)");
      add_config(sub);
      sub->add_flag("--pretty", opt.pretty, "Indent JSON output (one input document only)");
    };

    CLI::App* translate = app.add_subcommand(
        "translate",
        "Translate HL7 v2 messages to FHIR R4 Bundles, or a FHIR resource/Bundle to an HL7 v2 "
        "message. Input: FILEs or '-' for stdin; a file may hold many v2 messages (each "
        "starting with MSH, or MLLP framed). FHIR output: one Bundle per line (NDJSON).");
    translate->add_option("--to", opt.to, "Output: fhir or v2 (default: told from the input)")
        ->check(CLI::IsMember({"fhir", "v2"}));
    translate->add_option("--previous", opt.previous,
                          "Earlier version of the Appointment (FHIR -> v2: chooses the "
                          "trigger event, e.g. S13 when the time changed)");
    translate
        ->add_option("--bundle", opt.bundle,
                     "v2 -> FHIR output shape: transaction (conditional create/update "
                     "entries) or message (FHIR messaging: MessageHeader first, as NHS "
                     "BaRS); default: transaction")
        ->check(CLI::IsMember({"transaction", "message"}));
    translate->add_flag("--ndjson", opt.ndjson,
                        "One compact JSON document per line (the default for FHIR output)");
    translate->add_flag("--lf", opt.lf,
                        "End v2 segments with LF instead of CR (for reading in a terminal)");
    translate->add_flag("-q,--quiet", opt.quiet, "Do not print warnings");
    translate->add_option("--message-time", opt.message_time,
                          "FHIR -> v2: the message time (a FHIR instant such as "
                          "2025-06-02T09:00:00+01:00) for MSH-7 when the input carries no time "
                          "of its own (default: now); the golden cases run with "
                          "2025-06-02T09:00:00+01:00");
    translate->add_flag("--explain", opt.explain,
                        "Print to stderr what was not written and why: each resource, segment "
                        "or element whose mapping condition did not hold, with the condition "
                        "and the rule (no values)");
    translate->add_flag("--trace", opt.trace,
                        "Print to stderr, for each output element, the mapping rule and the "
                        "input location that produced it (no values)");
    add_common(translate);
    translate->add_option("FILE", opt.files, "Input files, '-' for standard input")->required();

    CLI::App* validate = app.add_subcommand(
        "validate",
        "Validate FHIR JSON against FHIR R4 and UK Core rules, or check that HL7 v2 messages "
        "parse and map; prints one OperationOutcome per resource or message. Exit 1 when any "
        "has an error.");
    add_common(validate);
    validate->add_option("FILE", opt.files, "Input files, '-' for standard input")->required();

    CLI::App* mappings_cmd = app.add_subcommand(
        "mappings", "Work with mapping files ('fcpgw mappings check', 'fcpgw mappings test')");
    mappings_cmd->require_subcommand(1);
    CLI::App* mappings_test = mappings_cmd->add_subcommand(
        "test",
        "Run the golden cases under DIR (default: the 'golden' folder of the mappings "
        "directory) and print a readable difference for each failing case. Exit 0 when all "
        "pass, 1 when any fails, 2 for usage errors.");
    mappings_test->add_option("--mappings", opt.mappings,
                              "Directory of mapping files (default: mappings.dir of the "
                              "configuration, else $FCPGW_MAPPINGS_DIR, else the bundled "
                              "mappings)");
    mappings_test->add_option("--filter", opt.filter,
                              "Run only the cases whose name (path under DIR) contains this");
    mappings_test->add_flag("-v,--verbose", opt.verbose, "List the cases that pass too");
    mappings_test->add_flag("--update", opt.update,
                            "Write the expected files of every failing case, and of every new "
                            "one (an input without expected file), from what it translates to; "
                            "prints the differences and the files written");
    mappings_test->add_option("--accept", opt.accept,
                              "The same as --update for the one case NAME (its path under DIR "
                              "without extension, e.g. appointments/s15_cancelled)");
    add_config(mappings_test);
    mappings_test->add_option("DIR", opt.golden_dir,
                              "Folder of golden cases (searched recursively)");
    CLI::App* mappings_check = mappings_cmd->add_subcommand(
        "check",
        "Load the mapping files, shared files and code tables as the gateway does (with the "
        "configuration's constants) and print every problem, each naming the file, the rule "
        "and what is wrong. Exit 0 when they load, 2 when any has a problem.");
    mappings_check->add_option("--mappings", opt.mappings,
                               "Directory of mapping files (default: mappings.dir of the "
                               "configuration, else $FCPGW_MAPPINGS_DIR, else the bundled "
                               "mappings)");
    add_config(mappings_check);

    std::vector<std::string> sets;
    auto add_sets = [&](CLI::App* sub) {
      sub->add_option("--set", sets,
                      "Override one configuration key by its dotted path, e.g. "
                      "--set listeners.mllp.port=0 (repeatable)");
    };

    CLI::App* serve_cmd = app.add_subcommand(
        "serve",
        "Run the gateway: MLLP and HTTP listeners, every message journaled before it is "
        "answered. Runs in the foreground until SIGTERM or SIGINT.");
    add_config(serve_cmd);
    add_sets(serve_cmd);

    SendOptions send_opt;
    std::string send_to = "127.0.0.1:2575";
    std::vector<std::string> send_files;
    CLI::App* send_cmd = app.add_subcommand(
        "send",
        "Send HL7 v2 messages to an MLLP server and wait for each ACK; prints MSH-10 and the "
        "ACK code of each. Exit 0 when all are accepted (AA/CA), 1 when any is not, 2 for a "
        "bad file, 3 when the server cannot be reached or does not answer in time.");
    send_cmd->add_option("--to", send_to, "HOST:PORT of the MLLP server (default 127.0.0.1:2575)");
    send_cmd->add_flag("--tls", send_opt.tls, "Connect with TLS (server certificate checked)");
    send_cmd->add_option("--ca", send_opt.ca_file, "PEM CA file to check the server with");
    send_cmd->add_option("--cert", send_opt.cert_file, "PEM client certificate (mutual TLS)");
    send_cmd->add_option("--key", send_opt.key_file, "PEM private key of --cert");
    send_cmd->add_option("--server-name", send_opt.server_name,
                         "Name to check the server certificate against (default: HOST)");
    double send_timeout = 10;
    send_cmd->add_option("--timeout", send_timeout, "Seconds to wait for each ACK (default 10)")
        ->check(CLI::PositiveNumber);
    send_cmd->add_option("FILE", send_files, "Files of ER7 messages (or MLLP frames)")
        ->required();

    CLI::App* config_cmd = app.add_subcommand("config", "Work with configuration files");
    config_cmd->require_subcommand(1);
    std::string check_file;
    CLI::App* config_check = config_cmd->add_subcommand(
        "check", "Check a configuration file (and --set overrides) without starting anything");
    config_check->add_option("FILE", check_file, "The configuration file")->required();
    add_sets(config_check);

    JournalOptions jopt;
    CLI::App* journal_cmd = app.add_subcommand(
        "journal", "Look into the journal of a gateway (works while it runs)");
    journal_cmd->require_subcommand(1);
    auto add_journal = [&](CLI::App* sub) {
      add_config(sub);
      add_sets(sub);
      sub->add_option("--journal", jopt.path, "The journal file (default: journal.path)");
      sub->add_flag("--json", jopt.json, "JSON output");
    };
    CLI::App* journal_list = journal_cmd->add_subcommand("list", "List journaled messages");
    add_journal(journal_list);
    journal_list->add_option("--state", jopt.state, "accepted, rejected, delivered or dead")
        ->check(CLI::IsMember({"accepted", "rejected", "delivered", "dead"}));
    journal_list->add_option("--type", jopt.type, "Message type, e.g. SIU^S12");
    journal_list->add_option("--key", jopt.key, "Ordering key");
    journal_list->add_option("--since", jopt.since,
                             "Received at or after this time (Unix ms or YYYY-MM-DDThh:mm:ssZ)");
    journal_list->add_option("--limit", jopt.limit, "Most rows (default 100)")
        ->check(CLI::Range(1, 100000));
    CLI::App* journal_show = journal_cmd->add_subcommand(
        "show",
        "Show one journaled message: metadata, the bytes received, the answer given, and each "
        "delivery with its translation and attempts");
    add_journal(journal_show);
    journal_show->add_option("ID", jopt.id, "Journal id")->required()->check(CLI::PositiveNumber);
    CLI::App* journal_stats =
        journal_cmd->add_subcommand("stats", "Counts by state, open and dead deliveries, size");
    add_journal(journal_stats);
    CLI::App* journal_retry = journal_cmd->add_subcommand(
        "retry", "Send a message's dead deliveries again (or every dead one with --dead)");
    add_journal(journal_retry);
    journal_retry->add_option("ID", jopt.id, "Journal id")->check(CLI::PositiveNumber);
    journal_retry->add_flag("--dead", jopt.dead, "Every dead delivery");
    CLI::App* journal_replay = journal_cmd->add_subcommand(
        "replay", "Translate a message again with the current mappings and deliver it again");
    add_journal(journal_replay);
    journal_replay->add_option("ID", jopt.id, "Journal id")->required()->check(CLI::PositiveNumber);
    CLI::App* journal_skip = journal_cmd->add_subcommand(
        "skip", "Leave a message's dead deliveries dead, but let later ones of their key go");
    add_journal(journal_skip);
    journal_skip->add_option("ID", jopt.id, "Journal id")->required()->check(CLI::PositiveNumber);

    CLI::App* help = app.add_subcommand("help", "Show this help");

    std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
    std::reverse(rest.begin(), rest.end());
    try {
      app.parse(rest);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) {  // --help, --version
        app.exit(e, out, err);
        return code(Exit::ok);
      }
      err << "fcpgw: " << e.what() << "\n";
      err << "Run 'fcpgw help' or 'fcpgw <command> --help' for usage.\n";
      return code(Exit::bad_input);
    }

    if (help->parsed()) {
      out << app.get_formatter()->make_help(&app, "fcpgw", CLI::AppFormatMode::Normal);
      return code(Exit::ok);
    }
    if (send_cmd->parsed()) {
      const auto colon = send_to.rfind(':');
      unsigned port = 0;
      if (colon == std::string::npos || colon == 0 ||
          std::from_chars(send_to.data() + colon + 1, send_to.data() + send_to.size(), port)
                  .ec != std::errc() ||
          port == 0 || port > 65535) {
        rep.line("--to: expected HOST:PORT, got \"" + printable(send_to, 80) + "\"");
        return code(Exit::bad_input);
      }
      send_opt.host = send_to.substr(0, colon);
      send_opt.port = static_cast<std::uint16_t>(port);
      send_opt.timeout = std::chrono::milliseconds(static_cast<long>(send_timeout * 1000));
      return run_send(send_files, send_opt, out, err);
    }
    if (config_check->parsed()) return run_config_check(check_file, sets, out, err);
    // The configuration, loaded and checked once; a bad one stops here, naming the key.
    if (opt.config_file || !sets.empty()) {
      auto config = Config::load(opt.config_file.value_or(""), sets);
      if (!config) {
        for (const ConfigError& e : config.error()) rep.line(to_string(e));
        return code(Exit::bad_input);
      }
      opt.config = std::move(*config);
    }
    if (translate->count("--max-input-bytes") + validate->count("--max-input-bytes") == 0) {
      opt.max_input = opt.config.max_input_bytes();
    }
    if (opt.pretty && validate->parsed() && opt.files.size() > 1) {
      rep.line("--pretty writes a single document: give one FILE");
      return code(Exit::bad_input);
    }
    if (serve_cmd->parsed()) {
      if (serve == nullptr) {
        rep.line("serve is not available in this build");
        return code(Exit::internal);
      }
      return serve(opt.config, out, err);
    }
    if (journal_cmd->parsed()) {
      if (jopt.path.empty()) jopt.path = opt.config.journal.path;
      const JournalCommand command =
          journal_list->parsed()     ? JournalCommand::list
          : journal_show->parsed()   ? JournalCommand::show
          : journal_retry->parsed()  ? JournalCommand::retry
          : journal_replay->parsed() ? JournalCommand::replay
          : journal_skip->parsed()   ? JournalCommand::skip
                                     : JournalCommand::stats;
      return cmd_journal(command, jopt, out, rep);
    }
    if (translate->parsed()) return cmd_translate(opt, out, rep);
    if (validate->parsed()) return cmd_validate(opt, out, rep);
    if (mappings_test->parsed()) return cmd_mappings_test(opt, out, rep);
    if (mappings_check->parsed()) return cmd_mappings_check(opt, out, rep);
    err << app.help();
    return code(Exit::bad_input);
  } catch (const std::bad_alloc&) {
    rep.line("internal error: out of memory");
  } catch (const std::exception& e) {
    rep.line(std::string("internal error: ") + e.what());
  } catch (...) {
    rep.line("internal error");
  }
  return code(Exit::internal);
}

}  // namespace fcpgw::gateway

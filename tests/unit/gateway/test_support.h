#pragma once
// Shared by the gateway unit tests: the command line run in-process, a fresh temporary folder
// per test, and reading a file whole.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/cli.h"

namespace fcpgw::gateway::testing {

/// What one run of the command line gave.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};

/// Runs `fcpgw <args>` in-process (run_cli), capturing the exit code, stdout and stderr.
inline CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "fcpgw");
  std::ostringstream out, err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

/// The bytes of the file at `p` (empty when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A fixture giving each test an empty folder of its own (`dir_`), removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("fcpgw-" + std::string(info->test_suite_name()) + "-" + std::to_string(::getpid()) +
            "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Writes `content` to `name` (relative to the folder, parent folders created) and returns
  /// its path.
  std::string file(const std::string& name, const std::string& content) {
    const std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  /// The path of `name` in the folder (not created).
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

}  // namespace fcpgw::gateway::testing

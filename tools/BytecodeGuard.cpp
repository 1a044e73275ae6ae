//===- BytecodeGuard.cpp - run a tool on untrusted bytecode in a child ----===//

#include "tools/BytecodeGuard.h"

#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mlir::mlopt {

namespace {

// Copies what the child wrote to `from` (rewound) to `to`.
void passOn(std::FILE *from, int to) {
  std::rewind(from);
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, from)) > 0) {
    for (size_t done = 0; done < n;) {
      ssize_t wrote = write(to, chunk + done, n - done);
      if (wrote < 0 && errno == EINTR)
        continue;
      if (wrote <= 0)
        return;
      done += size_t(wrote);
    }
  }
}

} // namespace

int runOnBytecodeInChild(llvm::StringRef toolName, llvm::StringRef inputName,
                         size_t inputBytes, llvm::function_ref<int()> job) {
  std::FILE *out = std::tmpfile(), *err = std::tmpfile();
  llvm::outs().flush();
  llvm::errs().flush();
  std::fflush(nullptr);
  pid_t child = out && err ? fork() : -1;
  if (child < 0) { // cannot isolate it: run it here
    if (out)
      std::fclose(out);
    if (err)
      std::fclose(err);
    return job();
  }
  if (child == 0) {
    // A corrupted count can ask for more memory than the machine has: the
    // child fails that allocation rather than let the OOM killer choose.
    rlim_t cap = (rlim_t(kChildMemoryGiB) << 30) + rlim_t(inputBytes) * 64;
    struct rlimit limit = {cap, cap};
    setrlimit(RLIMIT_AS, &limit);
    // Die at once on a crash: LLVM's crash handler allocates, and after a
    // heap overflow that deadlocks on malloc's lock instead of reporting.
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS})
      std::signal(sig, SIG_DFL);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    int code = job();
    llvm::outs().flush();
    llvm::errs().flush();
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  int code = 1;
  if (WIFSIGNALED(status)) {
    // What the child printed before it died (LLVM's crash report) is noise.
    llvm::errs() << (inputName == "-" ? "<stdin>" : inputName)
                 << ": error: malformed bytecode: " << toolName << " crashed reading it ("
                 << strsignal(WTERMSIG(status)) << "); the file is truncated or corrupted\n";
  } else {
    passOn(out, STDOUT_FILENO);
    passOn(err, STDERR_FILENO);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  std::fclose(out);
  std::fclose(err);
  return code;
}

} // namespace mlir::mlopt

#pragma once
// A SQLite VFS over the default one that fails chosen writes, syncs and truncations with an I/O
// error: after `ok_ops` more of them succeed, the next one fails, and with `persistent` every one
// after it too (SQLite's own "fail the Nth write once, and from then on"). Tests open the journal
// with SqliteOptions::vfs = FaultVfs::kName.

#include <sqlite3.h>

#include <mutex>

namespace fcpgw::gateway::journal::testing {

class FaultVfs {
 public:
  static constexpr const char* kName = "fcpgw-fault";

  /// The one instance, registered with SQLite on first use (not as the default VFS).
  static FaultVfs& instance() {
    static FaultVfs vfs;
    return vfs;
  }

  void arm(int ok_ops, bool persistent) {
    std::lock_guard lock(m_);
    countdown_ = ok_ops;
    persistent_ = persistent;
    tripped_ = false;
    faults_ = 0;
  }
  void disarm() {
    std::lock_guard lock(m_);
    countdown_ = -1;
    tripped_ = false;
  }
  int faults() {
    std::lock_guard lock(m_);
    return faults_;
  }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;  // the default VFS's file, allocated right after this struct
  };

  FaultVfs() {
    base_ = sqlite3_vfs_find(nullptr);
    vfs_ = *base_;
    vfs_.pNext = nullptr;
    vfs_.zName = kName;
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + base_->szOsFile;
    vfs_.xOpen = &FaultVfs::open;
    sqlite3_vfs_register(&vfs_, 0);
  }

  bool fail() {
    std::lock_guard lock(m_);
    if (tripped_ && persistent_) {
      ++faults_;
      return true;
    }
    if (countdown_ < 0) return false;
    if (countdown_ > 0) {
      --countdown_;
      return false;
    }
    countdown_ = -1;
    tripped_ = true;
    ++faults_;
    return true;
  }

  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                  int* out_flags) {
    auto* f = reinterpret_cast<File*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->real->pMethods = nullptr;
    FaultVfs& self = instance();
    const int rc = self.base_->xOpen(self.base_, name, f->real, flags, out_flags);
    f->base.pMethods = f->real->pMethods != nullptr ? &methods() : nullptr;
    return rc;
  }

  static const sqlite3_io_methods& methods() {
    static const sqlite3_io_methods m = {
        3,
        [](sqlite3_file* f) {
          const int rc = real(f)->pMethods->xClose(real(f));
          f->pMethods = nullptr;
          return rc;
        },
        [](sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
          return real(f)->pMethods->xRead(real(f), p, n, off);
        },
        [](sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
          if (instance().fail()) return SQLITE_IOERR_WRITE;
          return real(f)->pMethods->xWrite(real(f), p, n, off);
        },
        [](sqlite3_file* f, sqlite3_int64 size) {
          if (instance().fail()) return SQLITE_IOERR_TRUNCATE;
          return real(f)->pMethods->xTruncate(real(f), size);
        },
        [](sqlite3_file* f, int flags) {
          if (instance().fail()) return SQLITE_IOERR_FSYNC;
          return real(f)->pMethods->xSync(real(f), flags);
        },
        [](sqlite3_file* f, sqlite3_int64* size) {
          return real(f)->pMethods->xFileSize(real(f), size);
        },
        [](sqlite3_file* f, int lock) { return real(f)->pMethods->xLock(real(f), lock); },
        [](sqlite3_file* f, int lock) { return real(f)->pMethods->xUnlock(real(f), lock); },
        [](sqlite3_file* f, int* out) {
          return real(f)->pMethods->xCheckReservedLock(real(f), out);
        },
        [](sqlite3_file* f, int op, void* arg) {
          return real(f)->pMethods->xFileControl(real(f), op, arg);
        },
        [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); },
        [](sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); },
        [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
          return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
        },
        [](sqlite3_file* f, int offset, int n, int flags) {
          return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
        },
        [](sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); },
        [](sqlite3_file* f, int remove) { return real(f)->pMethods->xShmUnmap(real(f), remove); },
        [](sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
          return real(f)->pMethods->xFetch(real(f), off, n, out);
        },
        [](sqlite3_file* f, sqlite3_int64 off, void* p) {
          return real(f)->pMethods->xUnfetch(real(f), off, p);
        },
    };
    return m;
  }

  sqlite3_vfs* base_ = nullptr;
  sqlite3_vfs vfs_{};
  std::mutex m_;
  int countdown_ = -1;
  bool persistent_ = false;
  bool tripped_ = false;
  int faults_ = 0;
};

}  // namespace fcpgw::gateway::journal::testing

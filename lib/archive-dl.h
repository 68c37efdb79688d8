/* libarchive, loaded when the first archive is read or written rather than
 * when box starts: with libxml2, ICU and libstdc++ behind it, linking it cost
 * every command (`box version`, a cached build, `box run` of an unpacked
 * image) ~1.5 ms of loading and relocation before main().
 *
 * Only the files that hold libarchive include this, after <archive.h> and
 * <archive_entry.h>: image/tar.c, store/layer-pack.c, store/layer-unpack.c.
 * Each function they call is a macro below that resolves the symbol once
 * (per call site, then cached) through DL_FN (lib/dl.h); a function missing
 * from the list is a link error, so the list stays complete.  When
 * libarchive cannot be loaded, dl_sym() ends box with status 127 and
 * the dynamic loader's message, as a missing DT_NEEDED library would. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "lib/dl.h"

/* libarchive, loaded on the first call of any of its functions. */
extern struct dl_lib archive_dl_lib;
/* libarchive's version string, or NULL with *ret_why set when it cannot be
 * loaded (for `box info`; never exits). */
const char *archive_dl_version(const char **ret_why);

#define ARCHIVE_DL_(name) DL_FN(&archive_dl_lib, name)

#define archive_entry_clear                     ARCHIVE_DL_(archive_entry_clear)
#define archive_entry_filetype                  ARCHIVE_DL_(archive_entry_filetype)
#define archive_entry_free                      ARCHIVE_DL_(archive_entry_free)
#define archive_entry_gid                       ARCHIVE_DL_(archive_entry_gid)
#define archive_entry_hardlink                  ARCHIVE_DL_(archive_entry_hardlink)
#define archive_entry_linkify                   ARCHIVE_DL_(archive_entry_linkify)
#define archive_entry_linkresolver_free         ARCHIVE_DL_(archive_entry_linkresolver_free)
#define archive_entry_linkresolver_new          ARCHIVE_DL_(archive_entry_linkresolver_new)
#define archive_entry_linkresolver_set_strategy ARCHIVE_DL_(archive_entry_linkresolver_set_strategy)
#define archive_entry_mtime                     ARCHIVE_DL_(archive_entry_mtime)
#define archive_entry_mtime_nsec                ARCHIVE_DL_(archive_entry_mtime_nsec)
#define archive_entry_new                       ARCHIVE_DL_(archive_entry_new)
#define archive_entry_pathname                  ARCHIVE_DL_(archive_entry_pathname)
#define archive_entry_perm                      ARCHIVE_DL_(archive_entry_perm)
#define archive_entry_rdevmajor                 ARCHIVE_DL_(archive_entry_rdevmajor)
#define archive_entry_rdevminor                 ARCHIVE_DL_(archive_entry_rdevminor)
#define archive_entry_set_filetype              ARCHIVE_DL_(archive_entry_set_filetype)
#define archive_entry_set_gid                   ARCHIVE_DL_(archive_entry_set_gid)
#define archive_entry_set_hardlink              ARCHIVE_DL_(archive_entry_set_hardlink)
#define archive_entry_set_mtime                 ARCHIVE_DL_(archive_entry_set_mtime)
#define archive_entry_set_pathname              ARCHIVE_DL_(archive_entry_set_pathname)
#define archive_entry_set_perm                  ARCHIVE_DL_(archive_entry_set_perm)
#define archive_entry_set_rdevmajor             ARCHIVE_DL_(archive_entry_set_rdevmajor)
#define archive_entry_set_rdevminor             ARCHIVE_DL_(archive_entry_set_rdevminor)
#define archive_entry_set_size                  ARCHIVE_DL_(archive_entry_set_size)
#define archive_entry_set_symlink               ARCHIVE_DL_(archive_entry_set_symlink)
#define archive_entry_set_uid                   ARCHIVE_DL_(archive_entry_set_uid)
#define archive_entry_size                      ARCHIVE_DL_(archive_entry_size)
#define archive_entry_symlink                   ARCHIVE_DL_(archive_entry_symlink)
#define archive_entry_uid                       ARCHIVE_DL_(archive_entry_uid)
#define archive_entry_xattr_add_entry           ARCHIVE_DL_(archive_entry_xattr_add_entry)
#define archive_entry_xattr_next                ARCHIVE_DL_(archive_entry_xattr_next)
#define archive_entry_xattr_reset               ARCHIVE_DL_(archive_entry_xattr_reset)
#define archive_errno                           ARCHIVE_DL_(archive_errno)
#define archive_error_string                    ARCHIVE_DL_(archive_error_string)
#define archive_filter_code                     ARCHIVE_DL_(archive_filter_code)
#define archive_filter_count                    ARCHIVE_DL_(archive_filter_count)
#define archive_format                          ARCHIVE_DL_(archive_format)
#define archive_read_data                       ARCHIVE_DL_(archive_read_data)
#define archive_read_data_block                 ARCHIVE_DL_(archive_read_data_block)
#define archive_read_disk_descend               ARCHIVE_DL_(archive_read_disk_descend)
#define archive_read_disk_new                   ARCHIVE_DL_(archive_read_disk_new)
#define archive_read_disk_open                  ARCHIVE_DL_(archive_read_disk_open)
#define archive_read_disk_set_standard_lookup   ARCHIVE_DL_(archive_read_disk_set_standard_lookup)
#define archive_read_disk_set_symlink_physical  ARCHIVE_DL_(archive_read_disk_set_symlink_physical)
#define archive_read_free                       ARCHIVE_DL_(archive_read_free)
#define archive_read_new                        ARCHIVE_DL_(archive_read_new)
#define archive_read_next_header                ARCHIVE_DL_(archive_read_next_header)
#define archive_read_next_header2               ARCHIVE_DL_(archive_read_next_header2)
#define archive_read_open                       ARCHIVE_DL_(archive_read_open)
#define archive_read_open_fd                    ARCHIVE_DL_(archive_read_open_fd)
#define archive_read_support_filter_bzip2       ARCHIVE_DL_(archive_read_support_filter_bzip2)
#define archive_read_support_filter_gzip        ARCHIVE_DL_(archive_read_support_filter_gzip)
#define archive_read_support_filter_xz          ARCHIVE_DL_(archive_read_support_filter_xz)
#define archive_read_support_filter_zstd        ARCHIVE_DL_(archive_read_support_filter_zstd)
#define archive_read_support_format_gnutar      ARCHIVE_DL_(archive_read_support_format_gnutar)
#define archive_read_support_format_raw         ARCHIVE_DL_(archive_read_support_format_raw)
#define archive_read_support_format_tar         ARCHIVE_DL_(archive_read_support_format_tar)
#define archive_set_error                       ARCHIVE_DL_(archive_set_error)
#define archive_write_close                     ARCHIVE_DL_(archive_write_close)
#define archive_write_data                      ARCHIVE_DL_(archive_write_data)
#define archive_write_finish_entry              ARCHIVE_DL_(archive_write_finish_entry)
#define archive_write_free                      ARCHIVE_DL_(archive_write_free)
#define archive_write_header                    ARCHIVE_DL_(archive_write_header)
#define archive_write_new                       ARCHIVE_DL_(archive_write_new)
#define archive_write_open                      ARCHIVE_DL_(archive_write_open)
#define archive_write_open_fd                   ARCHIVE_DL_(archive_write_open_fd)
#define archive_write_set_bytes_in_last_block   ARCHIVE_DL_(archive_write_set_bytes_in_last_block)
#define archive_write_set_bytes_per_block       ARCHIVE_DL_(archive_write_set_bytes_per_block)
#define archive_write_set_format_pax_restricted ARCHIVE_DL_(archive_write_set_format_pax_restricted)

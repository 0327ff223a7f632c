// Version strings of the captured Asterisk 22 build (../shared/ami-transcripts/README.md).

/** AMI_VERSION in include/asterisk/manager.h on branch 22; the banner's version (S1). */
export const AMI_VERSION = '11.0.0';
/** ast_get_version() of the captured build. */
export const ASTERISK_VERSION = 'GIT-22-22.0.0-pre1-541-g69535d4837';
/** `core show version`, as captured in 05. */
export const VERSION_LINE = `Asterisk ${ASTERISK_VERSION} built by root @ vm on a x86_64 running Linux on 2026-11-22 05:43:32 UTC`;

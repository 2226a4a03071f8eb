// Package idcard reads second-generation resident ID cards (二代居民身份证)
// through a SAM module (居民身份证验证安全控制模块) on a serial line: the
// modules inside most desktop and embedded ID card readers (神思, 华视,
// 新中新, 东信 and others) speak the same protocol, from the Ministry of
// Public Security's interface specification for the SAM (GA 467,
// "居民身份证验证安全控制模块接口技术规范") as repeated in the vendors'
// "SAM 通讯协议" manuals.
//
// # Line
//
// UART 8N1, 115200 bit/s by default (commands 0x60 0x00..0x04 switch the
// module to 115200, 57600, 38400, 19200 or 9600); many modules also offer
// USB, which this driver does not use.
//
// # Frames
//
// Host to module:  AA AA AA 96 69 | Len1 Len2 | CMD PARA | DATA | CHK_SUM
// Module to host:  AA AA AA 96 69 | Len1 Len2 | SW1 SW2 SW3 | DATA | CHK_SUM
//
// Len1 Len2 is the big-endian count of the bytes after it, checksum
// included; CHK_SUM is the XOR of every byte after the preamble except
// itself. Frames from the manuals, used in the tests:
//
//	find card         AA AA AA 96 69 00 03 20 01 22
//	select card       AA AA AA 96 69 00 03 20 02 21
//	read text+photo   AA AA AA 96 69 00 03 30 01 32
//	found             AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97
//	no card           AA AA AA 96 69 00 04 00 00 80 84
//	selected          AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C
//	select failed     AA AA AA 96 69 00 04 00 00 81 85
//	read (head)       AA AA AA 96 69 05 08 00 00 90 01 00 04 00 <256 text> <1024 photo> CHK
//
// SW3 is the module's status: 0x90 success, 0x9F card found, 0x80 no
// card, 0x81 select failed, 0x41 read failed, 0x10 / 0x11 the module got
// a bad checksum / length, 0x21 bad command, 0x23 operation not
// permitted, 0x24 unrecognised error, 0x31 / 0x32 / 0x33 authentication
// and verification failures, 0x40 not an ID card, 0x47 random number
// failure, 0x60 SAM self-test failed, 0x66 SAM not authorised, 0x91 no
// content. Every code but 0x90 and 0x9F is a *StatusError.
//
// # Text
//
// The read answer carries the text length and the photo length (2 bytes
// each, big-endian: 0x0100 and 0x0400), the 256-byte text in UCS-2
// little-endian and the 1024-byte photo (WLT, encrypted; decoding it
// needs the licensed library and is out of scope). The text layout is in
// text.go. Foreigners' permanent residence cards and the residence
// permits for Hong Kong, Macao and Taiwan residents use other layouts
// and are rejected by the ID number check.
//
// # Driver
//
// The reader polls: find card, select card, read text and photo, then
// waits Poll (500 ms) and starts again; each answer is awaited Timeout
// (1 s, plus the transfer time of the read answer). A card held on the
// reader may be delivered again; deduplication is the gateway's
// business. The credential is the 18-character ID number; RunIdentity
// also hands over the parsed Identity. Logs never carry personal data in
// clear (eldergate.MaskName / MaskID).
package idcard

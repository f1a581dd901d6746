// Package wxcrypto holds the wire-level pieces of the WeChat Official Account callback protocol: request
// signatures, the AES message encryption of compatible and safe modes, and the XML that WeChat sends and
// expects back.
//
// Everything here is a pure function of its arguments: no I/O, no clock, no package state beyond the
// sentinel errors, so the callback handler, the emulator and the tests can share it. Input that comes from
// the network (XML bodies, ciphertext, signatures) never makes it panic; it answers with an error that
// wraps one of the sentinels below. Sizes are not limited here: the HTTP layer caps the body first.
package wxcrypto

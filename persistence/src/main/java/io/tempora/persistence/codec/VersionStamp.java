package io.tempora.persistence.codec;

/**
 * The version number and transaction of one stored record version ({@link
 * ValueCodec#versionStamp(long, byte[])}).
 *
 * @param version version number, from 1
 * @param tx the transaction that wrote the version
 */
public record VersionStamp(int version, long tx) {}

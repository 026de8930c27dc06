/**
 * The wire API of Tempora: the classes generated from the {@code .proto} files under {@code
 * src/main/proto/tempora/v1/}. Nothing here is written by hand; shard-server and router map these
 * messages to and from the domain.
 */
package io.tempora.proto;

/** Write requests: validation with the messages of DOMAIN.md §2.2 and write results (§2.4). */
package io.tempora.engine.write;

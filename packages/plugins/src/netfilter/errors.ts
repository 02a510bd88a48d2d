/**
 * The error every failed tool run becomes: the tool, its stderr, and the batch line or command
 * that failed, so that a plugin's error message names the rule rather than only "exit status 1".
 */

/** A netfilter tool run that failed. */
export class NetfilterError extends Error {
  constructor(
    message: string,
    /** `iptables-restore`, `ip6tables-restore`, `nft`, ... */
    readonly tool: string,
    /** The tool's stderr, trimmed. */
    readonly stderr: string,
    /** The batch line or JSON command that failed, when it could be told. */
    readonly failed?: string,
    /** Its 1-based line number in the restore text, or index in the nftables command array. */
    readonly position?: number,
  ) {
    super(message);
    this.name = 'NetfilterError';
  }
}

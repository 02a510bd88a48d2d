/**
 * What a runtime passes with each operation besides the network configuration, and what
 * it gets back about attachments recorded in the cache.
 */

/**
 * One attachment's parameters: the container, its namespace, the interface to create,
 * CNI_ARGS pairs and the capability arguments offered to plugins (each plugin receives, in
 * `runtimeConfig`, only the ones it declares in `capabilities`).
 *
 * @example
 *   const rt: RuntimeConf = { containerID: 'c1', netNS: '/run/netns/c1', ifName: 'eth0',
 *     capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } };
 */
export interface RuntimeConf {
  containerID: string;
  netNS: string;
  ifName: string;
  /** Passed to plugins as CNI_ARGS `K1=V1;K2=V2`. */
  args?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

/** An attachment as recorded by a successful ADD. */
export interface NetworkAttachment {
  containerID: string;
  network: string;
  ifName: string;
  /** The configuration bytes the attachment was added with. */
  config: Uint8Array;
  netNS?: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

/** An attachment that GC must keep: `(CNI_CONTAINERID, CNI_IFNAME)` of its ADD. */
export interface GCAttachment {
  containerID: string;
  ifname: string;
}

/**
 * The arguments of GC. Without them every cached attachment of the network is stale; with
 * them, plugins also receive the valid list (`null` when `validAttachments` is absent).
 */
export interface GCArgs {
  validAttachments?: GCAttachment[];
}

/** Per-call options of every CNIConfig method. */
export interface CallOptions {
  /** Aborting kills the running plugin (SIGKILL) and fails the call. */
  signal?: AbortSignal;
}

/** The configuration and runtime parameters an attachment was added with. */
export interface CachedConfig {
  config: Uint8Array;
  /** The caller's RuntimeConf with the cached `args` and `capabilityArgs` put back. */
  rt: RuntimeConf;
}

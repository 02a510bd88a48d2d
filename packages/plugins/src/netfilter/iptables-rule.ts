/**
 * One iptables rule as words: reading them from iptables-save/-restore text, writing them back
 * quoted, and the canonical form used to decide whether two rules are the same. iptables-save
 * prints a rule differently from how it was written (`-s 10.0.0.2` comes back as
 * `-s 10.0.0.2/32`, the target moves to the end, `-p tcp --dport` gains `-m tcp`), so the
 * reference's `-C` check is reproduced by comparing canonical forms rather than text.
 */
import { canonicalCidr } from './addr.js';

/**
 * Splits a rule line the way iptables-restore does: whitespace separates words, `"` quotes,
 * and inside quotes `\` takes the next character literally.
 *
 * @example splitRuleWords('-m comment --comment "a \\"b\\""') // ['-m', 'comment', '--comment', 'a "b"']
 */
export function splitRuleWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  let escaped = false;
  for (const ch of line) {
    if (quoted) {
      if (escaped) {
        word += ch;
        escaped = false;
      } else if (ch === '\\') escaped = true;
      else if (ch === '"') {
        // iptables-restore ends the word at the closing quote.
        words.push(word);
        word = '';
        inWord = false;
        quoted = false;
      } else word += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * A word as iptables-restore reads it back: bare when it has no space, quote or backslash,
 * else double-quoted with `"`, `\` and `'` escaped (iptables-save's own quoting). Throws for
 * a line break or NUL, which no restore line can carry.
 *
 * @example quoteRuleWord('name: "n" id: "c"') // '"name: \\"n\\" id: \\"c\\""'
 */
export function quoteRuleWord(word: string): string {
  if (/[\n\r\0]/.test(word)) {
    throw new Error(`an iptables rule word cannot contain a line break or NUL: ${JSON.stringify(word)}`);
  }
  if (word !== '' && /^[^\s"'\\]+$/.test(word)) return word;
  return '"' + word.replace(/["'\\]/g, '\\$&') + '"';
}

/**
 * Words joined into restore text.
 *
 * @example joinRuleWords(['-j', 'ACCEPT']) // '-j ACCEPT'
 */
export function joinRuleWords(words: readonly string[]): string {
  return words.map(quoteRuleWord).join(' ');
}

const LONG_NAMES: Readonly<Record<string, string>> = {
  '--source': '-s',
  '--src': '-s',
  '--destination': '-d',
  '--dst': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--protocol': '-p',
  '--fragment': '-f',
  '--match': '-m',
  '--jump': '-j',
  '--goto': '-g',
  '--source-port': '--sport',
  '--destination-port': '--dport',
  '--source-ports': '--sports',
  '--destination-ports': '--dports',
};

const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  '1': 'icmp',
  '6': 'tcp',
  '17': 'udp',
  '58': 'ipv6-icmp',
  '132': 'sctp',
  icmpv6: 'ipv6-icmp',
};

/** Options iptables hands to the protocol's own match when no loaded match takes them. */
const PROTOCOL_OPTIONS = new Set(['--sport', '--dport', '--tcp-flags', '--syn', '--tcp-option', '--icmp-type', '--icmpv6-type', '--chunk-types']);
const PROTOCOL_MATCHES = new Set(['tcp', 'udp', 'icmp', 'icmp6', 'sctp', 'udplite', 'dccp']);
const BASIC_ORDER = ['-s', '-d', '-i', '-o', '-p', '-f'];

/**
 * The rule in the order iptables-save prints it: addresses (masked, with prefix length),
 * interfaces, protocol, the protocol's implicit match, the other matches in their order, and
 * the target with its options last. Only for comparing; restore text keeps the words as given.
 *
 * @example canonicalRuleWords(['-s', '10.0.0.2', '-j', 'X', '-m', 'comment', '--comment', 'c'])
 * // ['-s', '10.0.0.2/32', '-m', 'comment', '--comment', 'c', '-j', 'X']
 */
export function canonicalRuleWords(words: readonly string[]): string[] {
  const basic = new Map<string, string[]>();
  const implicit: string[] = [];
  const groups: string[][] = [];
  let target: string[] = [];
  let current: string[] | undefined;
  let negate = false;
  let protocol: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const raw = words[i]!;
    if (raw === '!') {
      negate = true;
      continue;
    }
    const word = LONG_NAMES[raw] ?? raw;
    const bang = negate ? ['!'] : [];
    negate = false;
    if (BASIC_ORDER.includes(word)) {
      if (word === '-f') {
        basic.set(word, [...bang, word]);
        continue;
      }
      let value = words[++i] ?? '';
      if (word === '-s' || word === '-d') value = canonicalCidr(value) ?? value;
      if (word === '-p') {
        value = value.toLowerCase();
        value = PROTOCOL_NAMES[value] ?? value;
        protocol = value;
      }
      // Not the end of the current match's options: iptables offers every option to all
      // loaded matches, so `-m multiport -p tcp --dports 80` keeps --dports in multiport.
      basic.set(word, [...bang, word, value]);
    } else if (word === '-m') {
      current = [...bang, '-m', words[++i] ?? ''];
      groups.push(current);
    } else if (word === '-j' || word === '-g') {
      target = [word, words[++i] ?? ''];
      current = target;
    } else if (PROTOCOL_OPTIONS.has(word) && !(current && current[0] === '-m' && PROTOCOL_MATCHES.has(current[1]!))) {
      implicit.push(...bang, word);
      if (word !== '--syn') implicit.push(words[++i] ?? '');
    } else {
      (current ?? implicit).push(...bang, word);
    }
  }
  const out: string[] = [];
  for (const name of BASIC_ORDER) out.push(...(basic.get(name) ?? []));
  if (implicit.length > 0) out.push('-m', protocol ?? '', ...implicit);
  for (const g of groups) out.push(...g);
  out.push(...target);
  return out;
}

/**
 * A key that is equal for two rules iptables treats as the same (the reference's `-C`).
 *
 * @example ruleKey(['-d', '10.0.0.0/24', '-j', 'ACCEPT']) === ruleKey(['-j', 'ACCEPT', '-d', '10.0.0.9/24'])
 */
export function ruleKey(words: readonly string[]): string {
  return JSON.stringify(canonicalRuleWords(words));
}

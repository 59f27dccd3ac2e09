/**
 * `fusetrace dump`: every message of a capture decoded, one line each (or
 * one line per request/reply pair with --exchanges), or JSON Lines with
 * every decoded field; a pairing summary closes the output. Several captures
 * are merged by time (src/analysis/merge-inputs.ts).
 */
import { InflightPeak } from '../../pairing/inflight-peak.js';
import type { Command } from 'commander';
import { type BackingOp, type CaptureMessage, type ConnectionInfo, Direction, Timebase } from '../../capture/message.js';
import { bytesRead, captureBytes } from '../../capture/open.js';
import type { Exchange } from '../../protocol/exchange.js';
import { pairCaptures, type PairRun } from '../../pairing/pair-captures.js';
import type { MessageKind, Pairer, PairingProblem } from '../../pairing/pairer.js';
import { MessageParts, walkNotify, walkReply, walkRequest } from '../../protocol/decode.js';
import { InputMerger } from '../../analysis/merge-inputs.js';
import { exchangeHead, exchangeRequestText, formatBackingLine, writeExchangeResult, writeHead, writeMessageLine, type DumpFormatOptions } from '../../report/dump-format.js';
import { MESSAGE_LINE_START, partsJson, writeExchangeJsonHead, writeMessageJson } from '../../report/dump-json.js';
import { writeWholeDecodedJson, writeWholeMessageJson } from '../../report/dump-json-message.js';
import { writeWholeExchangeResult, writeWholeMessageText, writeWholeRequestText } from '../../report/dump-text-message.js';
import { TextBuffer } from '../../report/text-buffer.js';
import { stringifyJson } from '../../report/json.js';
import { escapeControls } from '../../report/untrusted-text.js';
import { EXIT_BAD_INPUT, Output, LINKTYPE_HELP, MACHINE_HELP, parseLinkType, parseMachine, parseProto, printError, quietProgress, runCommand } from '../common.js';

interface DumpOptions {
  exchanges?: boolean;
  json?: boolean;
  proto?: string;
  machine?: string;
  resync?: boolean;
  verbose?: boolean;
  linktype?: string;
  output?: string;
}

/** Problems listed in the summary; the rest are only counted. */
const MAX_LISTED_PROBLEMS = 50;
/** The last keys of an exchange's JSON line (dump --exchanges --json), around its request and reply. */
const REQUEST_KEY = Buffer.from(',"request":');
const REPLY_KEY = Buffer.from(',"reply":');
const LINE_END = Buffer.from('}}');


/** Lines made before their turn (several captures merged by time) are written here first. */
const scratch = new TextBuffer(1 << 16);
const idJson = (v: number | bigint | undefined): number | bigint | null => (v === undefined ? null : v);

export function register(program: Command): void {
  program
    .command('dump')
    .description('decode every message of FUSE captures (pcapng or fusedump; "-" reads standard input); several captures are merged by time')
    .argument('<capture...>', 'capture files')
    .option('--exchanges', 'one line per request/reply pair, with latency and result, in reply order')
    .option('--json', 'JSON Lines: {"type": "message"|"exchange"|"summary", "data": ...}')
    .option('--proto <7.N>', 'protocol version for captures that start after FUSE_INIT')
    .option('--machine <name>', MACHINE_HELP)
    .option('--resync', 'continue after a damaged block from the next valid one')
    .option('--linktype <N>', LINKTYPE_HELP)
    .option('-v, --verbose', 'show every field, including zeros and attribute details')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action(async (files: string[], opts: DumpOptions) => {
      process.exitCode = await runCommand(() => dump(files, opts));
    });
}

function dump(files: string[], opts: DumpOptions): number {
  const out = new Output(opts.output);
  const proto = parseProto(opts.proto);
  const machine = parseMachine(opts.machine);
  const linkType = parseLinkType(opts.linktype);
  const json = opts.json === true;
  const problems: PairingProblem[] = [];
  const problemCounts: Record<string, number> = {};
  /** Requests kept while in flight, for --exchanges: their text (or JSON text) as the exchange line shows them. */
  const pendingDecoded = new Map<Exchange, string>();
  /** Number of the message printed last (in output order: captures merged by time). */
  let index = 0;
  // Shared with the readers so that JSON lines can carry absolute times as they stream.
  const timebase = new Timebase();
  const connections: ConnectionInfo[] = [];
  const multiConn = (): boolean => files.length > 1 || connections.length > 1;

  /**
   * A line waiting for its turn. Every message takes its number when its
   * line is printed (`text` then lacks the 5-column number, `json` has index
   * 0); with --exchanges messages print nothing but still count, and a
   * request's number goes to its exchange (`numbers`), whose line is made
   * when printed (`render`), so both modes number a request alike.
   */
  interface Line {
    text?: string;
    /** A message's JSON line after its index: `,"conn":0,...}}`. */
    jsonTail?: string;
    render?: () => string | undefined;
    numbered: boolean;
    numbers?: Exchange;
  }
  const print = (l: Line): void => {
    if (l.numbered) index++;
    if (l.numbers) l.numbers.reqIndex = index - 1;
    if (l.jsonTail !== undefined) {
      out.line(`${MESSAGE_LINE_START}${index}${l.jsonTail}`);
    } else if (l.text !== undefined) {
      out.line(l.numbered ? String(index).padStart(5) + l.text : l.text);
    } else if (l.render) {
      const s = l.render();
      if (s !== undefined) out.line(s);
    }
  };
  // Several captures: lines wait to be merged by time; one capture prints in its own (block) order at once.
  const merger = files.length > 1 ? new InputMerger<Line>(files.length, print) : undefined;
  const emit = (input: number, t: number, l: Line): void => {
    if (merger) merger.push(input, t, l);
    else print(l);
  };

  /** The text line's options, one object (`hideConn` turns false once a second connection appears). */
  const textOpts = { hideConn: true, verbose: opts.verbose };
  const textLineOpts = (): DumpFormatOptions => {
    textOpts.hideConn = !multiConn();
    return textOpts;
  };
  /** The one MessageParts every message is walked into (read at once, before the next message). */
  const parts = new MessageParts();
  /** The exchange a request or reply is walked with (an orphan reply has none). */
  const walkedExchange = (kind: MessageKind, m: CaptureMessage, pairer: Pairer): Exchange | undefined =>
    m.dir === Direction.Outbound && kind === 'orphan-reply' ? undefined : pairer.last;
  const decodeOf = (kind: MessageKind, m: CaptureMessage, pairer: Pairer): MessageParts | undefined => {
    const p = pairer.protocol(m.conn);
    if (kind === 'notify') return walkNotify(m, p, pairer.lastNotify, parts);
    if (m.dir === Direction.Outbound) return walkReply(m, walkedExchange(kind, m, pairer), p, parts);
    if (m.capLen < 40) return undefined;
    return walkRequest(m, p, walkedExchange(kind, m, pairer), parts);
  };
  /**
   * The line of a message a form covers (dump-text-message.ts), printed at
   * once with its number (one capture) or formatted now and numbered when
   * printed (several); false, with nothing written, for any other message.
   */
  const wholeLine = (kind: MessageKind, m: CaptureMessage, pairer: Pairer): boolean => {
    const x = walkedExchange(kind, m, pairer);
    const pr = pairer.protocol(m.conn);
    if (!merger) {
      if (!writeWholeMessageText(out.text, index + 1, m, kind, x, pr, textLineOpts())) return false;
      index++;
      out.text.byte(10);
      return true;
    }
    const from = scratch.pos;
    if (!writeWholeMessageText(scratch, -1, m, kind, x, pr, textLineOpts())) return false;
    emit(m.input, m.t, { text: scratch.takeFrom(from), numbered: true });
    return true;
  };
  /** A message's JSON line with its newline (numbered `no`; from its `conn` on when < 0): by the opcode's own writer when it has one, else from the walk. */
  const jsonLine = (t: TextBuffer, no: number, kind: MessageKind, m: CaptureMessage, pairer: Pairer): void => {
    if (kind !== 'notify' && writeWholeMessageJson(t, no, m, kind, timebase, walkedExchange(kind, m, pairer), pairer.protocol(m.conn))) return;
    writeMessageJson(t, no, m, kind, timebase, decodeOf(kind, m, pairer));
    t.byte(10);
  };
  /** The request's text as its exchange line shows it (JSON text with --json): from its form when one covers it, else from its walk. */
  const requestText = (kind: MessageKind, m: CaptureMessage, pairer: Pairer, x: Exchange): string | undefined => {
    const from = scratch.pos;
    const pr = pairer.protocol(m.conn);
    if (json ? writeWholeDecodedJson(scratch, m, x, pr) : writeWholeRequestText(scratch, m, x, pr, opts.verbose === true)) return scratch.takeFrom(from);
    const d = decodeOf(kind, m, pairer);
    return d === undefined ? undefined : json ? partsJson(d) : exchangeRequestText(d, opts.verbose);
  };

  /** Requests in flight by time, not block order (the summary's peak). */
  const inflight = new InflightPeak();
  const sink = {
    onMessage(kind: MessageKind, m: CaptureMessage, pairer: Pairer): void {
      if (kind === 'request') inflight.request(m.conn, pairer.last!.tReq);
      else if (kind === 'reply') inflight.reply(m.conn, pairer.last!.tReq, pairer.last!.tReply);
      if (opts.exchanges) {
        const x = pairer.last;
        emit(m.input, m.t, { numbered: true, numbers: x && x.reqIndex === pairer.counts.messages - 1 ? x : undefined });
        if (x && m.dir !== Direction.Outbound && (kind === 'request' || kind === 'interrupt')) {
          const d = requestText(kind, m, pairer, x);
          if (d !== undefined) pendingDecoded.set(x, d);
        } else if (x && kind === 'no-reply-request') {
          emitExchange(x, requestText(kind, m, pairer, x), m, pairer, undefined);
        } else if (x && (kind === 'reply' || kind === 'interrupt-reply')) {
          const req = pendingDecoded.get(x);
          pendingDecoded.delete(x);
          emitExchange(x, req, m, pairer, kind);
        }
        return;
      }
      if (json && !merger) {
        // Printed at once: numbered here, written straight into the output buffer.
        jsonLine(out.text, ++index, kind, m, pairer);
      } else if (json) {
        // Numbered when printed: the line from its `conn` on, without its newline.
        const from = scratch.pos;
        jsonLine(scratch, -1, kind, m, pairer);
        scratch.pos--;
        emit(m.input, m.t, { numbered: true, jsonTail: scratch.takeFrom(from) });
      } else if (kind !== 'notify' && wholeLine(kind, m, pairer)) {
        // Written from the message's form.
      } else {
        const d = decodeOf(kind, m, pairer);
        if (d && !merger) {
          // Printed at once, with its number, straight into the output buffer.
          index++;
          const t = out.text;
          writeMessageLine(t, m, kind, pairer.last, d, index, textLineOpts());
          t.byte(10);
        } else if (d) {
          // Formatted now (m is reused by the reader), numbered when printed.
          const from = scratch.pos;
          writeMessageLine(scratch, m, kind, pairer.last, d, -1, textLineOpts());
          emit(m.input, m.t, { text: scratch.takeFrom(from), numbered: true });
        } else {
          emit(m.input, m.t, { text: `  [malformed: ${m.capLen} bytes at file offset ${m.fileOffset}]`, numbered: true });
        }
      }
      // Its reply (or a request that expects none) completes an exchange: its line is written, nothing here reads it again.
      if (kind === 'reply' || kind === 'no-reply-request') pairer.recycle(pairer.last!);
    },
    onBacking(b: BackingOp): void {
      if (json) {
        emit(b.input, b.t, { text: stringifyJson({ type: 'backing', data: {
          conn: b.conn, t_ns: timebase.absoluteNs(b.t, 0), t_rel_ns: b.t, op: b.op, result: b.result,
          ...(b.op === 'open' ? { fd: b.arg, flags: b.flags, path: b.path === '' ? null : b.path, dev: b.dev || null, ino: b.ino || null } : { id: b.arg }),
          pid: b.pid, tid: b.tid, file_offset: b.fileOffset,
        } }), numbered: false });
      } else if (!opts.exchanges) {
        emit(b.input, b.t, { text: escapeControls(formatBackingLine(b, { hideConn: !multiConn() })), numbered: false });
      }
    },
    onProblem(p: PairingProblem): void {
      problemCounts[p.kind] = (problemCounts[p.kind] ?? 0) + 1;
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(p);
    },
  };

  /**
   * One exchange line, in the order of the message that completes it (`at`:
   * its reply, or a request that expects none; none when the capture ended
   * first). `req` is the request's text (`requestText`); with `replyKind`,
   * `at` is the reply (walked only when no form covers it). The text is made
   * now (the reply's bytes are reused): from one capture it is written at
   * once, from several it waits for its turn and takes its number when printed.
   */
  function emitExchange(x: Exchange, req: string | undefined, at: CaptureMessage | undefined, pairer: Pairer | undefined, replyKind: MessageKind | undefined): void {
    const reply = replyKind !== undefined && at !== undefined && pairer !== undefined;
    if (json) {
      // The exchange's own keys, then its request and reply as JSON text (the last two keys); from several captures it waits for its turn.
      const waits = merger !== undefined ? at : undefined;
      const t = waits ? scratch : out.text;
      const from = t.pos;
      writeExchangeJsonHead(t, x, timebase);
      t.bytes(REQUEST_KEY);
      t.str(req ?? 'null');
      t.bytes(REPLY_KEY);
      if (!(reply && writeWholeDecodedJson(t, at, x, pairer.protocol(at.conn)))) {
        const rep = reply ? decodeOf(replyKind, at, pairer) : undefined;
        t.str(rep ? partsJson(rep) : 'null');
      }
      t.bytes(LINE_END);
      if (!waits) {
        t.byte(10);
        return;
      }
      emit(waits.input, waits.t, { text: scratch.takeFrom(from), numbered: false });
      return;
    }
    // Nothing without the request's text.
    if (req === undefined) return;
    const o = textLineOpts();
    const verbose = o.verbose === true;
    // From several captures the line waits for its turn (the message that completes it); else it is written now.
    const waits = merger !== undefined ? at : undefined;
    const t = waits ? scratch : out.text;
    const from = t.pos;
    if (!waits) writeHead(t, x.reqIndex + 1, x.tReq, x.conn, x.tid, o);
    t.str(req);
    if (!(reply && writeWholeExchangeResult(t, at, x, pairer.protocol(at.conn), verbose))) {
      writeExchangeResult(t, x, reply ? decodeOf(replyKind, at, pairer) : undefined, verbose);
    }
    if (!waits) {
      t.byte(10);
      return;
    }
    const text = scratch.takeFrom(from);
    emit(waits.input, waits.t, { render: () => exchangeHead(x, o) + text, numbered: false });
  }

  // Progress on a terminal, unless the decoded lines go to that terminal too.
  const progress = opts.output !== undefined && opts.output !== '-' || !process.stdout.isTTY ? quietProgress() : undefined;
  const total = progress ? captureBytes(files) : 0;
  const result = pairCaptures(files, {
    ...sink,
    onConnection(c) {
      connections.push(c);
    },
    afterStep: merger || progress ? (inputs) => {
      merger?.release((i) => !inputs[i]!.done);
      progress?.(bytesRead(inputs), total);
    } : undefined,
  }, { proto, machine, resync: opts.resync, linkType, timebase });
  merger?.flush();
  if (opts.exchanges) {
    for (const x of result.unanswered) {
      emitExchange(x, pendingDecoded.get(x), undefined, undefined, undefined);
    }
  }
  // A file that could not even be opened has nothing to summarise.
  if (!(result.fatal && result.pairer.counts.messages === 0 && result.connections.length === 0)) {
    inflight.end();
    writeSummary(out, result, inflight, problems, problemCounts, json);
  }
  out.close();
  if (result.fatal) {
    printError(result.fatal);
    return EXIT_BAD_INPUT;
  }
  return 0;
}

function writeSummary(out: Output, run: PairRun, inflight: InflightPeak, problems: PairingProblem[], counts: Record<string, number>, json: boolean): void {
  const c = run.pairer.counts;
  const conns = run.connections.map((ci) => {
    const p = run.pairer.protocol(ci.conn);
    return {
      conn: ci.conn,
      file: ci.file,
      name: ci.name,
      protocol: `7.${p.minor}`,
      protocol_source: p.source,
      kernel: p.kernelMinor !== undefined ? `${p.kernelMajor}.${p.kernelMinor}` : null,
      daemon: p.daemonMinor !== undefined ? `${p.daemonMajor}.${p.daemonMinor}` : null,
      note: p.assumedNote ?? null,
      peak_inflight: inflight.peak(ci.conn),
    };
  });
  const summary = {
    messages: c.messages,
    requests: c.requests,
    replies: c.replies,
    notifications: c.notifications,
    unanswered: run.unanswered.length,
    orphan_replies: c.orphans,
    duplicate_uniques: c.duplicates,
    malformed: c.malformed,
    truncated: c.truncated,
    rejected_replies: c.rejected,
    connections: conns,
    notices: run.notices.map((n) => ({ kind: n.kind, file: n.file, offset: n.offset, block: n.blockNo, message: n.message })),
    problems: problems.map((p) => ({ kind: p.kind, conn: p.conn, unique: idJson(p.unique), file_offset: p.offset, message: p.message, problem_id: p.problemId ?? null })),
    problems_by_kind: counts,
    error: run.fatal ? run.fatal.message : null,
  };
  if (json) {
    out.line(stringifyJson({ type: 'summary', data: summary }));
    return;
  }
  // Interface names, file names and notes come from the capture: shown with escapes.
  const line = (s: string): void => out.line(escapeControls(s));
  line('');
  line(`summary: ${c.messages} messages (${c.requests} requests, ${c.replies} replies, ${c.notifications} notifications) on ${conns.length} connection${conns.length === 1 ? '' : 's'}`);
  for (const ci of conns) {
    line(`  conn${ci.conn} ${ci.name} (${ci.file}): protocol ${ci.protocol}` +
      (ci.protocol_source === 'init' ? ` (kernel ${ci.kernel}, daemon ${ci.daemon})` : '') + `, peak ${ci.peak_inflight} in flight`);
    if (ci.note) line(`    note: ${ci.note}`);
  }
  line(`  unanswered requests: ${run.unanswered.length}; orphan replies: ${c.orphans}; duplicate uniques: ${c.duplicates}; malformed messages: ${c.malformed}; rejected replies: ${c.rejected}`);
  if (c.truncated > 0) line(`  messages whose fixed arguments or names were cut by the snap length: ${c.truncated} (their fields are unknown)`);
  for (const n of run.notices) line(`  ${n.kind}: ${n.message}`);
  for (const p of problems) line(`  ${p.kind}: conn${p.conn} ${p.message} (byte ${p.offset})`);
  const listed = problems.length;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total > listed) line(`  ... and ${total - listed} more problems`);
}

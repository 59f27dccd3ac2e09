/**
 * `fusetrace wireshark`: a Wireshark Lua dissector for FUSE captures,
 * generated from the declarations the decoder itself reads: the opcode and
 * notification rows (protocol/opcodes.ts: names, request and reply bodies),
 * the struct layouts (protocol/layouts: fields, offsets, types, flags,
 * enums, compat sizes) and the errno names. Nothing about a struct is
 * written here; this module only turns the declarations into Lua tables and
 * carries the small engine that walks them.
 *
 * Field names: header fields are `fuse.<field>` (fuse.opcode, fuse.unique,
 * fuse.nodeid, fuse.error); a struct field is `fuse.<struct>.<field>` with
 * the struct's kernel name less `fuse_` and a trailing `_in` (fuse_write_in
 * -> fuse.write.offset, fuse_write_out -> fuse.write_out.size, fuse_attr ->
 * fuse.attr.size). Names in bodies are fuse.name, fuse.oldname, ...; bulk
 * bytes fuse.data.
 *
 * The dissector registers on LINKTYPE_USER0 (147, capture-format.md §1),
 * reads the direction from the EPB flags, the byte order from the header's
 * length, the protocol minor from each connection's INIT exchange (a
 * preference gives it for captures that start after INIT), the names of
 * open(2) flags from the `fuse.machine` preference (a Lua dissector cannot
 * read the capture's shb_hardware), pairs requests
 * and replies by (interface, unique) on the first pass and links them with
 * framenum fields and the latency.
 */
import type { EnumSet, FlagSet } from '../protocol/layout.js';
import { ALL_LAYOUTS, COMPAT_SIZES } from '../protocol/layouts/index.js';
import { fuse_dirent, fuse_direntplus } from '../protocol/layouts/dir.js';
import { fuse_init_in, fuse_init_out } from '../protocol/layouts/init.js';
import { fuse_setxattr_in } from '../protocol/layouts/xattr.js';
import { InitBit } from '../protocol/flags/init.js';
import { O_ACCMODE, OPEN_FLAG_DIALECTS, OPEN_FLAGS } from '../protocol/flags/open.js';
import { KNOWN_ERRNOS } from '../model/format.js';
import { NOTIFY_CODES, Op, OPCODES, type BodyPart } from '../protocol/opcodes.js';
import { NEWEST_MINOR } from '../protocol/version.js';

const HEADERS = new Set(['fuse_in_header', 'fuse_out_header']);

/** Display-filter name of a struct field (see the module comment). */
export function fieldAbbrev(layout: string, field: string): string {
  if (HEADERS.has(layout)) return `fuse.${field}`;
  return `fuse.${layout.replace(/^fuse_/, '').replace(/_in$/, '')}.${field}`;
}

/** One piece of a message body, in order. */
export type BodyToken =
  | { k: 'struct'; l: string; optional?: boolean; byLen?: boolean }
  | { k: 'array'; l: string }
  | { k: 'records'; l: string; namelenAt: number }
  | { k: 'string'; f: string }
  | { k: 'data' }
  /** `l` when the request asked for the size (its `size` was 0), else `or` (GETXATTR/LISTXATTR). */
  | { k: 'either'; l: string; or: BodyToken };

/** An opcode row's body parts as the dissector's tokens (struct names instead of layouts). */
export function bodyTokens(parts: readonly BodyPart[]): BodyToken[] {
  return parts.map(token);
}

function token(p: BodyPart): BodyToken {
  switch (p.k) {
    case 'struct': return { k: 'struct', l: p.l.name, ...(p.optional ? { optional: true } : {}), ...(p.byLen ? { byLen: true } : {}) };
    case 'array': return { k: 'array', l: p.l.name };
    case 'records': {
      const namelenAt = p.l === fuse_direntplus ? fuse_direntplus.offsets.dirent! + fuse_dirent.offsets.namelen! : fuse_dirent.offsets.namelen!;
      return { k: 'records', l: p.l.name, namelenAt };
    }
    case 'string': return { k: 'string', f: p.f };
    case 'data': return { k: 'data' };
    case 'either': {
      const or = token(p.or);
      return { k: 'either', l: p.l.name, or: or.k === 'struct' ? { k: 'struct', l: or.l } : or };
    }
  }
}

// --- Lua emission -----------------------------------------------------------------

const lstr = (s: string): string => JSON.stringify(s); // a JSON string literal is a valid Lua 5.2 string for our ASCII content

const SCALAR_FIELD: Record<string, string> = { u8: 'uint8', u16: 'uint16', u32: 'uint32', i32: 'int32', u64: 'uint64', i64: 'int64' };

function luaValueString(values: Iterable<readonly [number, string]>): string {
  return `{${[...values].map(([k, v]) => `[${k}]=${lstr(v)}`).join(',')}}`;
}

function luaFlags(f: FlagSet): string {
  return `{${f.bits.map(([bit, name]) => `{${bit},${lstr(name)}}`).join(',')}}`;
}

function luaEnum(e: EnumSet): string {
  return luaValueString(e.values);
}

function luaTokens(ts: readonly BodyToken[]): string {
  return `{${ts.map(luaToken).join(',')}}`;
}

function luaToken(t: BodyToken): string {
  switch (t.k) {
    case 'struct': return `{k="struct",l=${lstr(t.l)}${t.optional ? ',optional=true' : ''}${t.byLen ? ',bylen=true' : ''}}`;
    case 'array': return `{k="array",l=${lstr(t.l)}}`;
    case 'records': return `{k="records",l=${lstr(t.l)},namelen=${t.namelenAt}}`;
    case 'string': return `{k="string",f=${lstr(t.f)}}`;
    case 'data': return '{k="data"}';
    case 'either': return `{k="either",l=${lstr(t.l)},alt=${luaToken(t.or)}}`;
  }
}

/** The whole dissector source. `version` names the generating fusetrace. */
export function generateLua(version: string): string {
  const fields: string[] = [];
  const seen = new Map<string, string>();
  const addField = (abbrev: string, decl: string, type: string): void => {
    const prev = seen.get(abbrev);
    if (prev !== undefined) {
      if (prev !== type) throw new Error(`wireshark: field ${abbrev} declared as ${prev} and ${type}`);
      return;
    }
    seen.set(abbrev, type);
    fields.push(`F[${lstr(abbrev)}] = ${decl}`);
  };

  const errnos: [number, string][] = [];
  for (const [n, name] of KNOWN_ERRNOS) errnos.push([-n, `-${name}`]);
  errnos.push([0, 'OK']);

  const layouts: string[] = [];
  for (const l of ALL_LAYOUTS) {
    const fl: string[] = [];
    for (const f of l.fields) {
      const t = f.type;
      if (typeof t === 'object' && 'kind' in t) {
        fl.push(`{n=${lstr(f.name)},off=${f.offset},size=${f.size},nest=${lstr(t.name)}}`);
        continue;
      }
      if (f.pad) continue;
      const abbrev = fieldAbbrev(l.name, f.name);
      const label = `${f.name}${f.unit ? ` (${f.unit})` : ''}`;
      const desc = lstr(`${l.name}.${f.name}${f.doc ? `: ${f.doc}` : ''}`);
      let decl: string;
      let type: string;
      if (typeof t === 'string') {
        type = SCALAR_FIELD[t]!;
        if (l.name === 'fuse_out_header' && f.name === 'error') decl = `ProtoField.int32(${lstr(abbrev)}, "error", base.DEC, ERRNO, nil, ${desc})`;
        else if (f.name === 'opcode' && l.name === 'fuse_in_header') decl = `ProtoField.uint32(${lstr(abbrev)}, "opcode", base.DEC, OPNAMES, nil, ${desc})`;
        else if (f.enum) decl = `ProtoField.${type}(${lstr(abbrev)}, ${lstr(label)}, base.DEC, ${luaEnum(f.enum)}, nil, ${desc})`;
        else decl = `ProtoField.${type}(${lstr(abbrev)}, ${lstr(label)}, ${f.flags ? 'base.HEX' : 'base.DEC'}, nil, nil, ${desc})`;
      } else {
        type = 'bytes';
        decl = `ProtoField.bytes(${lstr(abbrev)}, ${lstr(label)}, base.NONE, ${desc})`;
      }
      addField(abbrev, decl, type);
      // open(2) flags: the access mode (low two bits) is a value, named first, as formatOpenFlags does.
      const flags = f.flags ? `,flags=${luaFlags(f.flags)}${f.flags === OPEN_FLAGS ? `,accmode=${luaEnum(O_ACCMODE)}` : ''}` : '';
      fl.push(`{n=${lstr(f.name)},off=${f.offset},size=${f.size},t=${lstr(typeof t === 'string' ? t : 'bytes')},f=${lstr(abbrev)}${f.since ? `,since=${f.since}` : ''}${flags}}`);
    }
    const compat = COMPAT_SIZES[l.name];
    const sizeField = l.fields.find((f) => f.name === 'size' && f.type === 'u32');
    layouts.push(`L[${lstr(l.name)}] = {size=${l.size},fields={${fl.join(',')}}${compat ? `,compat={${compat.map(([b, s]) => `{${b},${s}}`).join(',')}}` : ''}${sizeField ? `,size_field=${sizeField.offset}` : ''}}`);
  }

  const strings = new Set<string>();
  const ops: string[] = [];
  for (const r of OPCODES) {
    const req = bodyTokens(r.request);
    const rep = bodyTokens(r.reply);
    for (const t of [...req, ...rep]) if (t.k === 'string') strings.add(t.f);
    ops.push(`OPS[${r.code}] = {name=${lstr(r.name)},noreply=${r.noReply === true},req=${luaTokens(req)},rep=${luaTokens(rep)}}`);
  }
  const notifies = NOTIFY_CODES.map((n) => `NOTIFY[${n.code}] = {name=${lstr(n.name)},body=${luaTokens(bodyTokens(n.body))}}`);
  for (const s of strings) addField(`fuse.${s}`, `ProtoField.stringz(${lstr(`fuse.${s}`)}, ${lstr(s)})`, 'stringz');

  const subst: Record<string, string> = {
    VERSION: version,
    NEWEST: String(NEWEST_MINOR),
    OPNAMES: luaValueString(OPCODES.map((r) => [r.code, r.name] as const)),
    NOTIFYNAMES: luaValueString(NOTIFY_CODES.map((r) => [r.code, r.name] as const)),
    ERRNO: luaValueString(errnos),
    FIELDS: fields.join('\n'),
    LAYOUTS: layouts.join('\n'),
    OPS: ops.join('\n'),
    NOTIFY: notifies.join('\n'),
    INIT_IN_MINOR: String(fuse_init_in.offsets.minor),
    INIT_OUT_MINOR: String(fuse_init_out.offsets.minor),
    INIT_OUT_FLAGS: String(fuse_init_out.offsets.flags),
    SETXATTR_EXT_BIT: String(InitBit.SETXATTR_EXT),
    SETXATTR_SHORT: String(fuse_setxattr_in.offsets.setxattr_flags),
    OP_INIT: String(Op.INIT),
    OPEN_DIALECTS: `{${OPEN_FLAG_DIALECTS.map((d) => `{prefixes={${d.prefixes.map(lstr).join(',')}},flags=${luaFlags(d.set)}}`).join(',')}}`,
  };
  return LUA_TEMPLATE.replace(/@([A-Z_]+)@/g, (m, k: string) => subst[k] ?? m);
}

const LUA_TEMPLATE = String.raw`-- FUSE (/dev/fuse messages) dissector for Wireshark 4.x (Lua 5.2+).
-- Generated by fusetrace @VERSION@ (fusetrace wireshark) from its opcode table and
-- struct layouts; regenerate it rather than editing it.
-- Captures: pcapng with LinkType 147 (LINKTYPE_USER0), one message per packet.

local fuse = Proto("fuse", "FUSE")
fuse.prefs.minor = Pref.uint("Protocol minor without INIT", @NEWEST@,
  "Layouts for connections whose INIT exchange is not in the capture (7.N: give N)")

-- open(2) flags travel as the recording host's kernel numbers them; the capture's
-- shb_hardware names the host, but a Lua dissector cannot read it.
fuse.prefs.machine = Pref.string("Recording host's machine", "",
  "uname -m of the host the capture was recorded on (aarch64, ppc64le ...), for the names of open(2) flags: " ..
  "arm, arm64, m68k and powerpc number O_DIRECT, O_DIRECTORY, O_NOFOLLOW and O_LARGEFILE their own way. Empty: x86-64's numbering")

local OPNAMES = @OPNAMES@
local NOTIFYNAMES = @NOTIFYNAMES@
local ERRNO = @ERRNO@

local F = {}
@FIELDS@
F["fuse.type"] = ProtoField.string("fuse.type", "type", base.ASCII, "request, reply or notify")
F["fuse.notify"] = ProtoField.uint32("fuse.notify", "notification", base.DEC, NOTIFYNAMES)
F["fuse.data"] = ProtoField.bytes("fuse.data", "data")
F["fuse.minor"] = ProtoField.uint32("fuse.minor", "protocol minor (layouts used)")
F["fuse.request_in"] = ProtoField.framenum("fuse.request_in", "request in", base.NONE, frametype.REQUEST)
F["fuse.response_in"] = ProtoField.framenum("fuse.response_in", "reply in", base.NONE, frametype.RESPONSE)
F["fuse.latency"] = ProtoField.relative_time("fuse.latency", "latency", "reply time - request time")
local list = {}
for _, f in pairs(F) do list[#list + 1] = f end
fuse.fields = list

local ef_malformed = ProtoExpert.new("fuse.malformed", "Malformed FUSE message", expert.group.MALFORMED, expert.severity.ERROR)
local ef_truncated = ProtoExpert.new("fuse.truncated", "Cut by the snap length", expert.group.UNDECODED, expert.severity.NOTE)
local ef_error = ProtoExpert.new("fuse.error.reply", "Error reply", expert.group.RESPONSE_CODE, expert.severity.NOTE)
local ef_orphan = ProtoExpert.new("fuse.orphan", "Reply to a request not in the capture", expert.group.SEQUENCE, expert.severity.WARN)
local ef_unknown = ProtoExpert.new("fuse.unknown_opcode", "Unknown opcode", expert.group.UNDECODED, expert.severity.WARN)
fuse.experts = { ef_malformed, ef_truncated, ef_error, ef_orphan, ef_unknown }

local L = {}
@LAYOUTS@
local OPS = {}
@OPS@
local NOTIFY = {}
@NOTIFY@

local f_iface = Field.new("frame.interface_id")
-- Interface ids restart in each pcapng section (a capture whose helpers appended sections, files joined
-- with cat): a connection is a section's interface. Older Wiresharks without the field have one section.
local f_section = (function() local ok, f = pcall(Field.new, "frame.section_number"); if ok then return f end end)()
local f_dir = Field.new("frame.packet_flags_direction")
local f_time = Field.new("frame.time_epoch")

-- Per capture: connection minors and pending requests (first pass), per-frame results.
local conns, frames

function fuse.init()
  conns = {}
  frames = {}
end

local function conn(iface)
  local c = conns[iface]
  if not c then
    c = { minor = nil, kminor = nil, init = nil, pending = {} }
    conns[iface] = c
  end
  return c
end

local function size_at(name, minor)
  local l = L[name]
  if l.compat then
    for _, c in ipairs(l.compat) do
      if minor < c[1] then return c[2] end
    end
  end
  return l.size
end

-- Each architecture's open(2) flags, by the prefixes of its machine names.
local OPEN_DIALECTS = @OPEN_DIALECTS@

-- The open(2) flag names of the host the fuse.machine preference names (x86-64's: generic).
local function open_flag_names(generic)
  local m = fuse.prefs.machine
  if m ~= nil and m ~= "" then
    for _, d in ipairs(OPEN_DIALECTS) do
      for _, p in ipairs(d.prefixes) do
        if m:sub(1, #p) == p then return d.flags end
      end
    end
  end
  return generic
end

-- r: the field's bytes, nil for a field that reads as 0.
local function flag_names(fd, item, r, le)
  local lo, hi
  if not r then
    lo, hi = 0, 0
  elseif fd.size == 8 then
    local v = le and r:le_uint64() or r:uint64()
    lo, hi = v:lower(), v:higher()
  else
    lo, hi = (le and r:le_uint() or r:uint()), 0
  end
  local names = {}
  if fd.accmode then
    names[1] = fd.accmode[bit32.band(lo, 3)]
    lo = bit32.band(lo, bit32.bnot(3))
  elseif lo == 0 and hi == 0 then
    return
  end
  -- Only open(2) flag words have an access mode.
  local flags = fd.accmode and open_flag_names(fd.flags) or fd.flags
  for _, b in ipairs(flags) do
    local bit, name = b[1], b[2]
    if bit < 32 then
      local m = bit32.lshift(1, bit)
      if bit32.btest(lo, m) then names[#names + 1] = name; lo = bit32.band(lo, bit32.bnot(m)) end
    else
      local m = bit32.lshift(1, bit - 32)
      if bit32.btest(hi, m) then names[#names + 1] = name; hi = bit32.band(hi, bit32.bnot(m)) end
    end
  end
  -- Bits without a name follow in hex, as the decoder prints them.
  if hi ~= 0 then names[#names + 1] = string.format("0x%x%08x", hi, lo)
  elseif lo ~= 0 then names[#names + 1] = string.format("0x%x", lo) end
  if #names > 0 then item:append_text(" (" .. table.concat(names, "|") .. ")") end
end

-- Adds struct "name" at off (at most avail bytes present) under tree; returns its size at this minor.
-- fields: the minor INIT negotiated (nil without INIT), which decides the fields the struct holds.
local function add_struct(tree, tvb, off, avail, name, minor, le, size, fields)
  local l = L[name]
  size = size or size_at(name, minor)
  local n = math.min(size, avail)
  if n <= 0 then return size, n end
  local sub = tree:add(tvb(off, n), name)
  for _, fd in ipairs(l.fields) do
    -- A nested struct may be shorter at this minor (fuse_attr in a 7.8 fuse_entry_out): decode its present part.
    if fd.off >= n or (not fd.nest and fd.off + fd.size > n) then break end
    if fd.nest then
      add_struct(sub, tvb, off + fd.off, n - fd.off, fd.nest, minor, le, nil, fields)
    elseif fields and fd.since and fields < fd.since then
      -- Padding at the negotiated minor: read as 0, as the decoder does, whatever bytes a daemon left there.
      -- (Without INIT the minor is a guess, and the bytes are shown.)
      local zero = fd.t == "bytes" and ByteArray.new(string.rep("00", fd.size)) or (fd.size == 8 and UInt64(0) or 0)
      local item = sub:add(F[fd.f], tvb(off + fd.off, fd.size), zero)
      if fd.flags then flag_names(fd, item, nil, le) end
    else
      -- The compat size decides what is present (as in the decoder).
      local r = tvb(off + fd.off, fd.size)
      local item = le and sub:add_le(F[fd.f], r) or sub:add(F[fd.f], r)
      if fd.flags then flag_names(fd, item, r, le) end
    end
  end
  return size, n
end

local function u32(tvb, off, le) return le and tvb(off, 4):le_uint() or tvb(off, 4):uint() end

-- Walks body tokens from off over len bytes (cap of them captured).
local function add_body(tree, tvb, pinfo, off, len, cap, tokens, minor, le, reqsize, setxattr_ext, fields)
  local pos = 0
  local function left() return len - pos end
  for _, t in ipairs(tokens) do
    if pos >= len then
      if t.k == "struct" and not t.optional and not t.bylen then
        tree:add_proto_expert_info(ef_malformed, "body ends before " .. t.l)
      end
      break
    end
    if t.k == "either" then
      -- The reply is the struct when the request asked for the size (size 0); else the bytes.
      if reqsize == 0 or (reqsize == nil and left() == size_at(t.l, minor)) then t = { k = "struct", l = t.l } else t = t.alt end
    end
    if t.k == "struct" then
      local size = t.bylen and math.min(left(), L[t.l].size) or nil
      -- fuse_setxattr_in is short unless FUSE_SETXATTR_EXT was negotiated.
      if t.l == "fuse_setxattr_in" and setxattr_ext == false then size = @SETXATTR_SHORT@ end
      local s, n = add_struct(tree, tvb, off + pos, cap - pos, t.l, minor, le, size, fields)
      if left() < s then tree:add_proto_expert_info(ef_malformed, string.format("%d body bytes < %d of %s", left(), s, t.l)) end
      pos = pos + s
    elseif t.k == "array" then
      local s = size_at(t.l, minor)
      while left() >= s and cap - pos >= s do
        add_struct(tree, tvb, off + pos, cap - pos, t.l, minor, le, nil, fields)
        pos = pos + s
      end
    elseif t.k == "records" then
      local s = L[t.l].size
      while left() >= s and cap - pos >= s do
        local namelen = u32(tvb, off + pos + t.namelen, le)
        local sub = tree:add(tvb(off + pos, math.min(cap - pos, s + namelen)), t.l)
        add_struct(sub, tvb, off + pos, cap - pos, t.l, minor, le, nil, fields)
        if namelen > 0 and cap - pos >= s + namelen then sub:add(F["fuse.name"], tvb(off + pos + s, namelen)) end
        if namelen == 0 or namelen > 1024 then break end
        pos = pos + bit32.band(s + namelen + 7, bit32.bnot(7))
      end
    elseif t.k == "string" then
      local avail = cap - pos
      if avail <= 0 then break end
      -- The NUL looked for here: TvbRange:stringz() raises "out of bounds" on a name without one in the
      -- captured bytes (cut by the snap length, or malformed), and counts characters, not bytes.
      local ba = tvb(off + pos, avail):bytes()
      local k = 0
      while k < avail and ba:get_index(k) ~= 0 do k = k + 1 end
      if k < avail then
        tree:add(F["fuse." .. t.f], tvb(off + pos, k + 1))
      else
        -- A stringz field without its NUL raises "out of bounds" as well, even given its value: a text item.
        local item = tree:add(tvb(off + pos, avail), string.format("%s: %q", t.f, ba:raw(0, avail)))
        -- Cut: the name goes on past the captured bytes (dump's name-cut). Else malformed.
        if cap < len then item:add_proto_expert_info(ef_truncated, string.format("%s cut after %d of its bytes", t.f, avail))
        else item:add_proto_expert_info(ef_malformed, t.f .. " is not NUL-terminated") end
      end
      pos = pos + k + 1
    else
      local n = math.min(cap - pos, left())
      if n > 0 then tree:add(F["fuse.data"], tvb(off + pos, n)) end
      pos = len
    end
  end
end

local function minor_of(c)
  return c.minor or fuse.prefs.minor
end

function fuse.dissector(tvb, pinfo, tree)
  local len = tvb:reported_len()
  local cap = tvb:len()
  pinfo.cols.protocol = "FUSE"
  local root = tree:add(fuse, tvb())
  if cap < 16 then
    root:add_proto_expert_info(ef_malformed, string.format("%d bytes < 16 for a FUSE header", cap))
    return
  end
  -- FUSE is host-endian: the header's own length tells the byte order.
  local le = tvb(0, 4):le_uint() == len or tvb(0, 4):uint() ~= len
  local iface = f_iface() and f_iface().value or 0
  local section = f_section and f_section() and f_section().value or 1
  local dir = f_dir() and f_dir().value or 0
  local c = conn(section .. ":" .. iface)
  local fr = frames[pinfo.number]
  local first = not pinfo.visited
  if first then
    fr = {}
    frames[pinfo.number] = fr
  end
  local hlen = u32(tvb, 0, le)
  if hlen ~= len then root:add_proto_expert_info(ef_malformed, string.format("header len %d differs from the message length %d", hlen, len)) end
  if cap < len then root:add_proto_expert_info(ef_truncated, string.format("%d of %d bytes captured", cap, len)) end
  if dir == 0 then
    local op = u32(tvb, 4, le)
    if len >= 40 and OPS[op] then dir = 1 else dir = 2 end
  end
  if dir == 1 then
    -- A request (kernel -> daemon).
    if cap < 40 then
      root:add_proto_expert_info(ef_malformed, string.format("%d bytes < 40 for fuse_in_header", cap))
      return
    end
    root:add(F["fuse.type"], "request"):set_generated()
    add_struct(root, tvb, 0, cap, "fuse_in_header", 45, le)
    local opcode = u32(tvb, 4, le)
    local unique = le and tvb(8, 8):le_uint64() or tvb(8, 8):uint64()
    local op = OPS[opcode]
    if first then
      fr.minor = minor_of(c)
      fr.fields = c.minor
      fr.opcode = opcode
      fr.time = f_time().value
      c.pending[tostring(unique)] = pinfo.number
      fr.setxattr_ext = c.setxattr_ext
      -- A request struct's "size" (GETXATTR/LISTXATTR: 0 asks for the size) chooses its reply's form.
      local first_struct = op and op.req[1]
      if first_struct and first_struct.k == "struct" and L[first_struct.l].size_field and cap >= 40 + L[first_struct.l].size_field + 4 then
        fr.reqsize = u32(tvb, 40 + L[first_struct.l].size_field, le)
      end
      if opcode == @OP_INIT@ and cap >= 48 then
        c.kminor = u32(tvb, 40 + @INIT_IN_MINOR@, le)
        c.init = tostring(unique)
      end
    end
    root:add(F["fuse.minor"], fr.minor):set_generated()
    local name = op and op.name or string.format("?0x%x", opcode)
    pinfo.cols.info = string.format("%s request unique=%s nodeid=%s", name, tostring(unique), tostring(le and tvb(16, 8):le_uint64() or tvb(16, 8):uint64()))
    if fr.resp then root:add(F["fuse.response_in"], fr.resp):set_generated() end
    if not op then
      root:add_proto_expert_info(ef_unknown, string.format("opcode %d", opcode))
      return
    end
    local extlen = (le and tvb(36, 2):le_uint() or tvb(36, 2):uint()) * 8
    local body = math.max(0, hlen - 40 - extlen)
    add_body(root, tvb, pinfo, 40, body, math.min(cap - 40, body), op.req, fr.minor, le, nil, fr.setxattr_ext, fr.fields)
    if extlen > 0 and cap > 40 + body then root:add(tvb(40 + body, math.min(extlen, cap - 40 - body)), "request extensions") end
    return
  end
  -- Daemon -> kernel: a reply, or a notification (unique 0, code in error).
  add_struct(root, tvb, 0, cap, "fuse_out_header", 45, le)
  local err = le and tvb(4, 4):le_int() or tvb(4, 4):int()
  local unique = le and tvb(8, 8):le_uint64() or tvb(8, 8):uint64()
  local body = math.max(0, hlen - 16)
  local bcap = math.min(cap - 16, body)
  if unique == UInt64(0) then
    root:add(F["fuse.type"], "notify"):set_generated()
    root:add(F["fuse.notify"], tvb(4, 4), err):set_generated()
    local n = NOTIFY[err]
    pinfo.cols.info = string.format("NOTIFY_%s", n and n.name or tostring(err))
    if n then add_body(root, tvb, pinfo, 16, body, bcap, n.body, minor_of(c), le, nil, nil, c.minor) end
    return
  end
  root:add(F["fuse.type"], "reply"):set_generated()
  if first then
    local key = tostring(unique)
    local req = c.pending[key]
    if req then
      c.pending[key] = nil
      local rf = frames[req]
      rf.resp = pinfo.number
      fr.req = req
      fr.opcode = rf.opcode
      fr.minor = rf.minor
      fr.fields = rf.fields
      fr.latency = f_time().value - rf.time
      fr.reqsize = rf.reqsize
      if c.init == key and err == 0 and body >= 8 then
        local rminor = u32(tvb, 16 + @INIT_OUT_MINOR@, le)
        c.minor = math.min(c.kminor or rminor, rminor)
        fr.minor = c.minor
        fr.fields = c.minor
        if cap >= 16 + @INIT_OUT_FLAGS@ + 4 then
          c.setxattr_ext = bit32.btest(u32(tvb, 16 + @INIT_OUT_FLAGS@, le), bit32.lshift(1, @SETXATTR_EXT_BIT@))
        end
      end
    else
      fr.minor = minor_of(c)
      fr.fields = c.minor
    end
  end
  local op = fr.opcode and OPS[fr.opcode]
  local name = op and op.name or "?"
  pinfo.cols.info = string.format("%s reply unique=%s %s", name, tostring(unique), ERRNO[err] or tostring(err))
  if fr.req then
    root:add(F["fuse.opcode"], fr.opcode):set_generated()
    root:add(F["fuse.request_in"], fr.req):set_generated()
    root:add(F["fuse.latency"], fr.latency):set_generated()
  else
    root:add_proto_expert_info(ef_orphan)
  end
  root:add(F["fuse.minor"], fr.minor):set_generated()
  if err ~= 0 then
    root:add_proto_expert_info(ef_error, string.format("%s reply %s", name, ERRNO[err] or tostring(err)))
    return
  end
  if op then add_body(root, tvb, pinfo, 16, body, bcap, op.rep, fr.minor, le, fr.reqsize, nil, fr.fields)
  elseif bcap > 0 then root:add(F["fuse.data"], tvb(16, bcap)) end
end

DissectorTable.get("wtap_encap"):add((wtap_encaps or wtap).USER0, fuse)
`;

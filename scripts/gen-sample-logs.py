#!/usr/bin/env python3
"""Generate the demo logs in sample-logs/ (deterministic, Python 3 stdlib only).

The story: on 2026-11-28 between 08:40 and 09:10 UTC, most employees connect to
the AnyConnect headends (vpn-asa-01, vpn-asa-02) without trouble, while the
users of the "Contractors" connection profile start failing with
"Authentication Failed" at about 08:45 because the profile now demands a
hardware token. Around them: one employee locks his account, an unknown name
is rejected a few times, the RADIUS server 10.20.0.13 flaps for four minutes,
and one laptop on a hotel network fails certificate checks. At about 09:05 one
contractor is given a token exception and gets in.

Usage:
    python3 scripts/gen-sample-logs.py            # writes sample-logs/, prints counts
    python3 scripts/gen-sample-logs.py --all      # also list users with successes only
    python3 scripts/gen-sample-logs.py --out DIR  # write somewhere else

Everything comes from one seeded random.Random, and nothing iterates over a
set or dict whose order depends on hashing, so reruns give byte-identical
files. All addresses are private (10/8) or documentation ranges
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24); all names are invented.
"""

import argparse
import datetime as dt
import os
import random
import re
import sys
from collections import defaultdict

SEED = 20261128
UTC = dt.timezone.utc
DAY = dt.datetime(2026, 11, 28, tzinfo=UTC)
START = DAY.replace(hour=8, minute=40).timestamp()
END = DAY.replace(hour=9, minute=10).timestamp()


def at(hhmmss):
    """Epoch seconds for an 'HH:MM:SS' time on the story day."""
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return DAY.replace(hour=h, minute=m, second=s).timestamp()


rng = random.Random(SEED)

# --------------------------------------------------------------------------
# Topology
# --------------------------------------------------------------------------

ASA1, ASA2 = "vpn-asa-01", "vpn-asa-02"
OUTSIDE_IP = {ASA1: "192.0.2.10", ASA2: "192.0.2.11"}
PAT_IP = {ASA1: "192.0.2.20", ASA2: "192.0.2.21"}
VPN_FQDN = "vpn.example.net"

# RADIUS: group ISE-RADIUS holds 10.20.0.11 and 10.20.0.13. vpn-asa-01 lists
# .11 first, vpn-asa-02 lists .13 first (it sits next to that ISE node), so
# asa-02 authenticates against .13 except while .13 is marked FAILED.
# The Contractors profile uses group ISE-TOKEN with 10.20.0.12.
RADIUS_A, RADIUS_TOKEN, RADIUS_B = "10.20.0.11", "10.20.0.12", "10.20.0.13"
FLAP_FAILED = at("08:52:19")  # just after the third 113014
FLAP_ACTIVE = at("08:56:27")

EMP_TG, EMP_GP = "Employees", "GP-Employees"
CON_TG, CON_GP = "Contractors", "GP-Contractors"

# Message severities (guide defaults) and syslog facility local4 (20).
SEV = {
    "106023": 4, "110002": 6, "113004": 6, "113005": 6, "113006": 6,
    "113008": 6, "113009": 6, "113010": 6, "113014": 6, "113019": 4,
    "113022": 2, "113023": 2, "113039": 6, "302013": 6, "302014": 6,
    "302015": 6, "302016": 6, "305011": 6, "305012": 6, "609001": 7,
    "609002": 7, "716038": 6, "716039": 6, "722022": 6, "722023": 6,
    "722037": 5, "722051": 6, "725001": 6, "725002": 6, "725007": 6,
}
FACILITY = 20

# --------------------------------------------------------------------------
# Output buffers. Each record: (time, seq, text). seq keeps emission order
# for records that share a time.
# --------------------------------------------------------------------------

asa_records = []
client_records = []
ise_records = []
_seq = [0]


def _next_seq():
    _seq[0] += 1
    return _seq[0]


def asa_header(host, t, sev):
    pri = FACILITY * 8 + sev
    stamp = dt.datetime.fromtimestamp(int(t), UTC)
    if host == ASA2:
        # vpn-asa-02 runs `logging timestamp rfc5424`.
        return "<%d>%s %s :" % (pri, stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), host)
    # vpn-asa-01 keeps the legacy format, which carries the year.
    return "<%d>%s %s :" % (pri, stamp.strftime("%b %d %Y %H:%M:%S"), host)


def asa(t, host, msg_id, text):
    """Queue one headend line; lines outside the window are dropped."""
    if START <= t < END:
        sev = SEV[msg_id]
        line = "%s %%ASA-%d-%s: %s" % (asa_header(host, t, sev), sev, msg_id, text)
        asa_records.append((t, _next_seq(), line))


def client(t, host, proc, pid, text):
    if START <= t < END:
        stamp = dt.datetime.fromtimestamp(int(t), UTC)
        head = "%s %2d %s" % (stamp.strftime("%b"), stamp.day, stamp.strftime("%H:%M:%S"))
        client_records.append((t, _next_seq(), "%s %s %s[%d]: %s" % (head, host, proc, pid, text)))


# The auth server: Cisco ISE policy service nodes, one behind each RADIUS
# address the headends use. ISE timing jitter comes from its own random
# stream so that adding this file left the headend and client files as they were.
ISE_NODE = {"10.20.0.11": "ise-psn-01", "10.20.0.12": "ise-psn-03", "10.20.0.13": "ise-psn-02"}
NAS_IP = {"vpn-asa-01": "10.20.0.1", "vpn-asa-02": "10.20.0.2"}
ise_rng = random.Random(SEED + 1)
_ise_ids = {"msg": 4100, "seq": 770000}


def ise(t, server, category, code, klass, text, fields, segments=1):
    """Queue one ISE syslog message, split into `segments` syslog lines the
    way ISE splits long messages (same message id, segment numbers 0..n-1)."""
    if not (START <= t < END):
        return
    node = ISE_NODE[server]
    _ise_ids["msg"] += 1
    _ise_ids["seq"] += ise_rng.randint(3, 40)
    stamp = dt.datetime.fromtimestamp(t, UTC)
    syslog_head = "<181>%s %2d %s %s %s %010d %d" % (
        stamp.strftime("%b"), stamp.day, stamp.strftime("%H:%M:%S"), node, category, _ise_ids["msg"], segments)
    body = "%s.%06d +00:00 %010d %d NOTICE %s: %s, %s," % (
        stamp.strftime("%Y-%m-%d %H:%M:%S"), int((t % 1) * 1e6), _ise_ids["seq"], code, klass, text,
        ", ".join("%s=%s" % kv for kv in fields))
    if segments == 1:
        ise_records.append((t, _next_seq(), "%s 0 %s" % (syslog_head, body)))
        return
    cut = len(body) // segments
    parts = [body[i * cut:(i + 1) * cut] if i < segments - 1 else body[i * cut:] for i in range(segments)]
    for i, part in enumerate(parts):
        ise_records.append((t, _next_seq(), "%s %d %s" % (syslog_head, i, part)))


def ise_fields(host, user, ip, tg, server, store):
    return [
        ("ConfigVersionId", "212"), ("Device IP Address", NAS_IP[host]), ("DestinationIPAddress", server),
        ("DestinationPort", "1812"), ("UserName", user), ("Protocol", "Radius"), ("NetworkDeviceName", host),
        ("User-Name", user), ("NAS-IP-Address", NAS_IP[host]), ("NAS-Port-Type", "Virtual"),
        ("Calling-Station-ID", ip), ("CVPN3000/ASA/PIX7x-Tunnel-Group-Name", tg),
        ("AuthenticationIdentityStore", store),
    ]


def ise_fail(t, server, host, user, ip, tg, store, reason, segments=1):
    ise(t, server, "CISE_Failed_Attempts", 5400, "Failed-Attempt", "Authentication failed",
        ise_fields(host, user, ip, tg, server, store) + [("FailureReason", reason)], segments)


def ise_pass(t, server, host, user, ip, tg, store):
    ise(t, server, "CISE_Passed_Authentications", 5200, "Passed-Authentication", "Authentication succeeded",
        ise_fields(host, user, ip, tg, server, store))


def hms_short(seconds):
    """ASA connection duration, e.g. 0:02:11."""
    seconds = int(seconds)
    return "%d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def hms_session(seconds):
    """113019 duration, e.g. 0h:12m:03s."""
    seconds = int(seconds)
    return "%dh:%02dm:%02ds" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


# --------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------

SURNAMES = [
    "doe", "patel", "nguyen", "garcia", "smith", "mueller", "rossi", "kim",
    "silva", "johnson", "lee", "brown", "martin", "novak", "haddad", "wilson",
    "moore", "taylor", "anders", "clark", "lewis", "walker", "hall", "young",
    "king", "wright", "lopez", "hill", "scott", "green", "adams", "baker",
    "nelson", "carter", "mitchell", "perez", "roberts", "turner", "phillips",
    "campbell", "parker", "evans", "edwards", "collins", "stewart", "morris",
    "rogers", "reed", "cook", "morgan", "bell", "murphy", "bailey", "rivera",
    "cooper", "richards", "cox", "howard", "ward", "torres", "peterson",
    "gray", "ramirez", "james", "watson", "brooks", "kelly", "sanders",
    "price", "bennett", "wood", "barnes", "ross", "henderson", "coleman",
    "jenkins", "perry", "powell", "long", "hughes", "flores", "washington",
    "butler", "simmons", "foster", "gonzales", "bryant", "alexander",
    "russell", "griffin", "diaz", "hayes", "ivanova", "yamada", "berg",
]
INITIALS = "abcdefghjklmnprstvw"

# The cast with fixed roles (kept out of the random employee pool).
CONTRACTORS = [
    # user, headend, public IP, first attempt, last attempt, laptop
    ("rnguyen", ASA1, "203.0.113.41", "08:45:21", "09:08:40", "lap-rnguyen"),
    ("tbrennan", ASA2, "203.0.113.57", "08:45:52", "09:08:10", "lap-tbrennan"),
    ("lfischer", ASA1, "203.0.113.88", "08:46:37", "09:06:30", None),
    ("dokafor", ASA1, "203.0.113.102", "08:47:05", "08:56:30", "lap-dokafor"),
    ("spereira", ASA2, "203.0.113.134", "08:48:14", "08:58:30", None),
]
TOKEN_EXCEPTION_USER = "dokafor"
TOKEN_EXCEPTION_AT = at("09:05:12")
LOCKED_USER, LOCKED_IP, LOCKED_HOST = "mkowalski", "198.51.100.77", ASA1
HIDDEN_IP, HIDDEN_HOST = "192.0.2.147", ASA1
HIDDEN_TYPED = "jsmyth"  # what that person typed; only the auth server logs it
TYPO_USER = "apatel"
UNREACHABLE_USERS = ["ewright", "gtanaka", "cmorales"]  # all on vpn-asa-02
CERT_USER, CERT_HOTEL_IP, CERT_GOOD_IP = "hsato", "198.51.100.201", "192.0.2.213"
FIXED = (
    [c[0] for c in CONTRACTORS]
    + [LOCKED_USER, TYPO_USER, CERT_USER, "jdoe"]
    + UNREACHABLE_USERS
)


def make_employee_pool(n):
    names = []
    while len(names) < n:
        name = rng.choice(INITIALS) + rng.choice(SURNAMES)
        if name not in names and name not in FIXED:
            names.append(name)
    return names


used_ips = set([HIDDEN_IP, CERT_HOTEL_IP, CERT_GOOD_IP, LOCKED_IP, "198.51.100.23"]
               + [c[2] for c in CONTRACTORS])


def pick_client_ip():
    while True:
        if rng.random() < 0.6:
            ip = "198.51.100.%d" % rng.randint(10, 199)
        else:
            ip = "192.0.2.%d" % rng.randint(64, 254)
        if ip not in used_ips:
            used_ips.add(ip)
            return ip


pool_next = {"emp": 0, "con": 0}


def assign_address(kind):
    pool_next[kind] += 1
    n = pool_next[kind]
    if kind == "emp":
        return "10.60.%d.%d" % (1 + (n - 1) // 250, 10 + (n - 1) % 250)
    return "10.61.0.%d" % (10 + n)


def radius_for(host, t):
    if host == ASA2 and not (FLAP_FAILED <= t < FLAP_ACTIVE):
        return RADIUS_B
    return RADIUS_A


def eph_port():
    return rng.randint(49152, 65000)


# --------------------------------------------------------------------------
# Headend message builders
# --------------------------------------------------------------------------

def tls_handshake(t, host, ip):
    port = eph_port()
    asa(t, host, "725001", "Starting SSL handshake with client outside:%s/%d to %s/443 for TLS session"
        % (ip, port, OUTSIDE_IP[host]))
    asa(t + 0.15, host, "725002", "Device completed SSL handshake with client outside:%s/%d to %s/443 for TLSv1.2 session"
        % (ip, port, OUTSIDE_IP[host]))
    return port


def vpn_login_ok(t, host, user, ip, tg, gp, server, kind, form_secs=None):
    """A successful AnyConnect login starting with the TLS handshake at t.
    Returns (time the tunnel is up, assigned address)."""
    tls_handshake(t, host, ip)
    ta = t + (form_secs if form_secs is not None else rng.uniform(2.0, 9.0))  # the user fills in the login form
    store = "RSA_SecurID" if server == RADIUS_TOKEN else "CORP_AD"
    ise_pass(ta - 0.08, server, host, user, ip, tg, store)
    asa(ta, host, "113004", "AAA user authentication Successful : server = %s : user = %s" % (server, user))
    asa(ta, host, "113008", "AAA transaction status ACCEPT : user = %s" % user)
    asa(ta, host, "113009", "AAA retrieved default group policy (%s) for user = %s" % (gp, user))
    asa(ta + 0.1, host, "716038", "Group <%s> User <%s> IP <%s> Authentication: successful, Session Type: WebVPN."
        % (gp, user, ip))
    tp = ta + rng.uniform(0.6, 1.8)
    tls_handshake(tp, host, ip)
    asa(tp + 0.3, host, "113039", "Group <%s> User <%s> IP <%s> AnyConnect parent session started." % (gp, user, ip))
    addr = assign_address(kind)
    asa(tp + 0.5, host, "722022", "Group <%s> User <%s> IP <%s> TCP SVC connection established without compression"
        % (gp, user, ip))
    asa(tp + 0.5, host, "722051", "Group <%s> User <%s> IP <%s> IPv4 Address <%s> IPv6 address <::> assigned to session"
        % (gp, user, ip, addr))
    tu = tp + rng.uniform(0.8, 2.0)
    asa(tu, host, "722022", "Group <%s> User <%s> IP <%s> UDP SVC connection established without compression"
        % (gp, user, ip))
    return tu, addr


def vpn_logout(t, host, user, ip, tg, gp, started, reason):
    if reason == "Lost Carrier":
        asa(t - 0.2, host, "722037", "Group <%s> User <%s> IP <%s> SVC closing connection: DPD failure." % (gp, user, ip))
    asa(t, host, "722023", "Group <%s> User <%s> IP <%s> UDP SVC connection terminated without compression"
        % (gp, user, ip))
    asa(t, host, "722023", "Group <%s> User <%s> IP <%s> TCP SVC connection terminated without compression"
        % (gp, user, ip))
    dur = t - started
    xmt = int(dur * rng.uniform(2000, 90000))
    rcv = int(dur * rng.uniform(8000, 400000))
    asa(t + 0.05, host, "113019",
        "Group = %s, Username = %s, IP = %s, Session disconnected. Session Type: AnyConnect-Parent, "
        "Duration: %s, Bytes xmt: %d, Bytes rcv: %d, Reason: %s" % (tg, user, ip, hms_session(dur), xmt, rcv, reason))


def rejected(t, host, user, ip, gp, server, reason):
    """One failed attempt as the headend logs it: 113005, then 716039 from the same IP."""
    asa(t, host, "113005", "AAA user authentication Rejected : reason = %s : server = %s : user = %s : user IP = %s"
        % (reason, server, user, ip))
    asa(t + rng.uniform(0.05, 1.4), host, "716039",
        "Group <%s> User <%s> IP <%s> Authentication: rejected, Session Type: WebVPN." % (gp, user, ip))


# --------------------------------------------------------------------------
# Client (laptop) message builders
# --------------------------------------------------------------------------

def rc(code):
    """Signed decimal form of a 32-bit AnyConnect return code."""
    return code - (1 << 32) if code & 0x80000000 else code


class Laptop:
    def __init__(self, host, ui_pid, agent, agent_pid):
        self.host, self.ui_pid, self.agent, self.agent_pid = host, ui_pid, agent, agent_pid

    def ui(self, t, text):
        client(t, self.host, "acvpnui", self.ui_pid, text)

    def ag(self, t, text):
        client(t, self.host, self.agent, self.agent_pid, text)

    def request(self, t, gateway_ip):
        self.ui(t, "An SSL VPN connection to %s has been requested by the user." % VPN_FQDN)
        self.ag(t + 0.1, "Function: ResolveHostname File: Utility/HostLocator.cpp Line: 583 Resolved %s to %s"
                % (VPN_FQDN, gateway_ip))

    def username(self, t, user):
        self.ui(t, "Function: getUserName File: CTransportCurlStatic.cpp Line: 2011 PasswordEntry username is %s" % user)

    def login_failed(self, t, final=True):
        self.ui(t, "Message type error sent to the user: Login failed.")
        if final:
            self.ui(t + 0.2, "Function: processIfcData File: ConnectMgr.cpp Line: 1831 Invoked Function: "
                    "ConnectMgr::processResponseString Return Code: %d (0x%08X) Description: CONNECTMGR_ERROR_UNEXPECTED"
                    % (rc(0xFE3D0009), 0xFE3D0009))
            self.ui(t + 0.3, "Message type warning sent to the user: Connection attempt has failed.")

    def connected(self, t):
        self.ui(t, "Message type information sent to the user: Establishing VPN session...")
        self.ag(t + 0.4, "A new network interface has been detected.")
        self.ui(t + 0.9, "VPN state: Connected Network state: Network Accessible "
                "Network control state: Network Access: Available Network type: Undefined")
        self.ui(t + 1.0, "Message type information sent to the user: Connected to %s." % VPN_FQDN)


LAPTOPS = {
    "jdoe": Laptop("lap-jdoe", 4312, "acvpnagent", 1187),
    "rnguyen": Laptop("lap-rnguyen", 5120, "acvpnagent", 998),
    "tbrennan": Laptop("lap-tbrennan", 3377, "vpnagentd", 1204),
    "dokafor": Laptop("lap-dokafor", 6021, "acvpnagent", 1042),
    LOCKED_USER: Laptop("lap-mkowalski", 2890, "vpnagentd", 1130),
    CERT_USER: Laptop("lap-hsato", 7444, "vpnagentd", 1099),
}

# --------------------------------------------------------------------------
# Story
# --------------------------------------------------------------------------

employees = make_employee_pool(110)
emp_ip = {}
emp_host = {}


def home(user):
    if user not in emp_host:
        emp_host[user] = ASA1 if rng.random() < 0.68 else ASA2
        emp_ip[user] = pick_client_ip()
    return emp_host[user], emp_ip[user]


emp_ip["jdoe"], emp_host["jdoe"] = "198.51.100.23", ASA1
emp_ip[CERT_USER], emp_host[CERT_USER] = CERT_GOOD_IP, ASA1
for u in UNREACHABLE_USERS:
    emp_ip[u], emp_host[u] = pick_client_ip(), ASA2

sessions = []  # (user, host, ip, tg, gp, start, kind)


def employee_session(t, user, allow_disconnect=True, server=None):
    host, ip = home(user)
    if host == ASA2 and server is None and at("08:51:30") <= t + 9 and t < FLAP_FAILED:
        # nobody on vpn-asa-02 gets through while its requests to .13 are timing out
        t = FLAP_FAILED + rng.uniform(2, 20)
    up, _ = vpn_login_ok(t, host, user, ip, EMP_TG, EMP_GP, server or radius_for(host, t), "emp")
    if allow_disconnect and rng.random() < 0.22:
        length = rng.uniform(240, 1500)
        reason = rng.choice(["User Requested"] * 6 + ["Lost Carrier"] * 2)
        if up + length < END - 5:
            vpn_logout(up + length, host, user, ip, EMP_TG, EMP_GP, up, reason)
            if reason == "Lost Carrier" and rng.random() < 0.7:
                # the laptop comes back a minute or two later
                employee_session(up + length + rng.uniform(50, 160), user, allow_disconnect=False)
    return up


pool = list(employees)

# Sessions already up before the window; a few of them end inside it.
for _ in range(26):
    user = pool.pop()
    host, ip = home(user)
    started = START - rng.uniform(300, 7200)
    if rng.random() < 0.35:
        end = START + rng.uniform(20, 1700)
        reason = "Idle Timeout" if end - started > 3600 and rng.random() < 0.5 else "User Requested"
        vpn_logout(end, host, user, ip, EMP_TG, EMP_GP, started, reason)

# 08:40-08:45: the morning wave, 40 distinct users.
morning = ["jdoe", TYPO_USER] + [pool.pop() for _ in range(38)]
times = sorted(rng.uniform(START + 3, at("08:44:50")) for _ in morning)
rng.shuffle(morning)
for user, t in zip(morning, times):
    if user == TYPO_USER:
        host, ip = home(user)
        tls_handshake(t, host, ip)
        tr = t + rng.uniform(4, 7)
        ise_fail(tr - 0.08, radius_for(host, t), host, user, ip, EMP_TG, "CORP_AD",
                 "24408 User authentication against Active Directory failed since user has entered the wrong password")
        rejected(tr, host, user, ip, EMP_GP, radius_for(host, t), "Invalid password")
        employee_session(t + rng.uniform(25, 40), user)
    elif user == "jdoe":
        lap = LAPTOPS["jdoe"]
        t = at("08:41:02")
        lap.request(t - 0.6, OUTSIDE_IP[ASA1])
        lap.username(t + 3.0, "jdoe")
        host, ip = home("jdoe")
        up, _ = vpn_login_ok(t, host, "jdoe", ip, EMP_TG, EMP_GP, radius_for(host, t), "emp", form_secs=3.6)
        lap.connected(up + 0.3)
    else:
        employee_session(t, user)

# 08:45-09:09: new connections every minute.
minute = at("08:45:00")
while minute < at("09:09:00"):
    for _ in range(rng.choice([1, 1, 2, 2, 2, 3])):
        if pool:
            employee_session(minute + rng.uniform(0, 59), pool.pop())
    minute += 60

# --- The AAA server flap on vpn-asa-02 (group ISE-RADIUS, max-failed-attempts 3).
for user, t in zip(UNREACHABLE_USERS, [at("08:51:48"), at("08:52:05"), at("08:52:12")]):
    host, ip = emp_host[user], emp_ip[user]
    tls_handshake(t - 6.5, host, ip)
    # the request to .13 times out (RADIUS timeout x retries) before the ASA gives up
    asa(t, host, "113014", "AAA authentication server not accessible : server = %s : user = %s" % (RADIUS_B, user))
    employee_session(t + rng.uniform(45, 110), user, allow_disconnect=False, server=RADIUS_A)
asa(FLAP_FAILED, ASA2, "113022", "AAA Marking RADIUS server %s in aaa-server group ISE-RADIUS as FAILED" % RADIUS_B)
asa(FLAP_ACTIVE, ASA2, "113023", "AAA Marking RADIUS server %s in aaa-server group ISE-RADIUS as ACTIVE" % RADIUS_B)

# --- Contractors: the profile now demands a hardware token.
for user, host, ip, first, last, laptop in CONTRACTORS:
    lap = LAPTOPS.get(user)
    t = at(first)
    while t <= at(last):
        if lap:
            lap.request(t - 0.7, OUTSIDE_IP[host])
        tls_handshake(t, host, ip)
        tu = t + rng.uniform(4.0, 8.0)  # user submits the form
        if lap:
            lap.username(tu - 0.4, user)
        asa(tu, host, "113010", "AAA challenge received for user %s from server %s." % (user, RADIUS_TOKEN))
        tr = tu + rng.uniform(0.2, 1.2)
        ise_fail(tr - 0.08, RADIUS_TOKEN, host, user, ip, CON_TG, "RSA_SecurID",
                 "24511 RSA: Check passcode operation resulted in error")
        rejected(tr, host, user, ip, CON_GP, RADIUS_TOKEN, "AAA failure")
        if lap:
            lap.login_failed(tr + 1.6)
        t += rng.uniform(60, 180)

# dokafor called the service desk; at ~09:04 the token exception is granted.
user, host, ip = "dokafor", ASA1, "203.0.113.102"
lap = LAPTOPS[user]
lap.request(TOKEN_EXCEPTION_AT - 0.7, OUTSIDE_IP[host])
lap.username(TOKEN_EXCEPTION_AT + 4.1, user)
up, _ = vpn_login_ok(TOKEN_EXCEPTION_AT, host, user, ip, CON_TG, CON_GP, RADIUS_TOKEN, "con", form_secs=4.7)
lap.connected(up + 0.3)

# --- mkowalski mistypes a changed password until the directory locks him out.
lap = LAPTOPS[LOCKED_USER]
t = at("08:47:09")
lap.request(t - 0.7, OUTSIDE_IP[LOCKED_HOST])
tls_handshake(t, LOCKED_HOST, LOCKED_IP)
t += 6.2
for i in range(5):
    lap.username(t - 0.5, LOCKED_USER)
    ise_fail(t - 0.08, RADIUS_A, LOCKED_HOST, LOCKED_USER, LOCKED_IP, EMP_TG, "CORP_AD",
             "24408 User authentication against Active Directory failed since user has entered the wrong password")
    rejected(t, LOCKED_HOST, LOCKED_USER, LOCKED_IP, EMP_GP, RADIUS_A, "Invalid password")
    lap.login_failed(t + 1.6, final=(i == 4))
    if i == 4:
        asa(t + 1.9, LOCKED_HOST, "113006",
            "User '%s' locked out on exceeding '5' successive failed authentication attempts" % LOCKED_USER)
    t += rng.uniform(14, 35)
for t in [at("08:50:31"), at("08:52:58"), at("08:56:44")]:
    lap.request(t - 0.7, OUTSIDE_IP[LOCKED_HOST])
    tls_handshake(t, LOCKED_HOST, LOCKED_IP)
    tr = t + rng.uniform(4, 7)
    lap.username(tr - 0.5, LOCKED_USER)
    # long enough that ISE splits it over two syslog messages
    ise_fail(tr - 0.08, RADIUS_A, LOCKED_HOST, LOCKED_USER, LOCKED_IP, EMP_TG, "CORP_AD",
             "24415 User authentication against Active Directory failed since user's account is locked out",
             segments=2)
    rejected(tr, LOCKED_HOST, LOCKED_USER, LOCKED_IP, EMP_GP, RADIUS_A, "Account has been locked out")
    lap.login_failed(tr + 1.6)

# --- 09:01:40, the IT-side check: the network engineer turns on
# `logging debug-trace` and `debug ldap 255` on vpn-asa-01 and runs
# `test aaa-server authentication CORP-AD host 10.20.0.21 username mkowalski`.
# The trace (asa-debug-trace.log, `%ASA-7-711001:`) shows Active Directory's
# answer, `data 775`: the account is locked out. No random draws here, so the
# other files stay as they were.
trace_records = []
AD_DC = "10.20.0.21"


def trace(t, text):
    sev = 7
    line = "%s %%ASA-%d-711001: %s" % (asa_header(ASA1, t, sev), sev, text)
    trace_records.append((t, _next_seq(), line))


TRACE_AT, TRACE_SESSION = at("09:01:40"), 57
for dt_, text in [
    (0.00, "Session Start"),
    (0.00, "New request Session, context 0x00007f4a1c2e5b70, reqType = Authentication"),
    (0.00, "Fiber started"),
    (0.01, "Creating LDAP context with uri=ldap://%s:389" % AD_DC),
    (0.02, "Connect to LDAP server: ldap://%s:389, status = Successful" % AD_DC),
    (0.02, "supportedLDAPVersion: value = 3"),
    (0.03, "Binding as administrator"),
    (0.03, "Performing Simple authentication for svc-vpn-bind to %s" % AD_DC),
    (0.06, "User DN = [CN=Marek Kowalski,OU=Staff,DC=corp,DC=example]"),
    (0.06, "Talking to Active Directory server %s" % AD_DC),
    (0.07, "Binding as user"),
    (0.07, "Performing Simple authentication for %s to %s" % (LOCKED_USER, AD_DC)),
    (0.10, "Simple authentication for %s returned code (49) Invalid credentials" % LOCKED_USER),
    (0.10, "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v4563"),
    (0.11, "Fiber exit Tx=611 bytes Rx=2205 bytes, status=-1"),
    (0.11, "Session End"),
]:
    trace(TRACE_AT + dt_, "[%d] %s" % (TRACE_SESSION, text))

# --- Somebody types a name the directory does not know (logged as *****).
t = at("08:49:26")
tls_handshake(t, HIDDEN_HOST, HIDDEN_IP)
t += 7.0
for gap in [22, 41, 30, 0]:
    # ISE logs the name as typed; the headend hides it
    ise_fail(t - 0.08, RADIUS_A, HIDDEN_HOST, HIDDEN_TYPED, HIDDEN_IP, EMP_TG, "CORP_AD",
             "24412 User not found in Active Directory")
    rejected(t, HIDDEN_HOST, "*****", HIDDEN_IP, EMP_GP, RADIUS_A, "User was not found")
    t += gap

# --- hsato on a hotel network that intercepts TLS: certificate errors, no headend lines.
lap = LAPTOPS[CERT_USER]
for t in [at("08:53:40"), at("08:55:02")]:
    lap.ui(t, "An SSL VPN connection to %s has been requested by the user." % VPN_FQDN)
    lap.ui(t + 0.2, "Function: enumerateCert File: Certificates/FileCertStore.cpp Line: 221 Invoked Function: enumerateCert "
           "Return Code: %d (0x%08X) Description: CERTSTORE_ERROR_CERT_NOT_FOUND No X509 client certificate found in "
           "/home/hsato/.cisco/certificates/client/" % (rc(0xFE21000E), 0xFE21000E))
    lap.username(t + 0.3, CERT_USER)
    lap.ui(t + 1.1, "Function: VerifyServerCertificate File: Certificates/CertHelper.cpp Line: 181 Invoked Function: "
           "CCertStore::VerifyServerCertificate Return Code: %d (0x%08X) Description: "
           "CERTIFICATE_ERROR_VERIFY_CHAIN_POLICY_FAILED" % (rc(0xFE220011), 0xFE220011))
    lap.ui(t + 1.2, "Function: sendRequest File: ConnectIfc.cpp Line: 3102 Invoked Function: CTransport::SendRequest "
           "Return Code: %d (0x%08X) Description: CTRANSPORT_ERROR_PEER_CERT_REJECTED" % (rc(0xFE370021), 0xFE370021))
    lap.ui(t + 1.3, "Message type warning sent to the user: Connection attempt has failed.")
    lap.ui(t + 1.3, "Message type error sent to the user: AnyConnect cannot confirm it is connected to your secure gateway.  "
           "The local network may not be trustworthy.  Please try another network.")
    lap.ui(t + 1.4, "Function: run File: ConnectMgr.cpp Line: 575 Invoked Function: ConnectMgr::initiateConnect "
           "Return Code: %d (0x%08X) Description: CONNECTMGR_ERROR_UNEXPECTED" % (rc(0xFE3D0009), 0xFE3D0009))
# she switches to her phone's hotspot and gets in
t = at("09:00:18")
lap.ag(t - 2.0, "A new network interface has been detected.")
lap.request(t - 0.6, OUTSIDE_IP[ASA1])
lap.username(t + 3.2, CERT_USER)
up, _ = vpn_login_ok(t, ASA1, CERT_USER, CERT_GOOD_IP, EMP_TG, EMP_GP, radius_for(ASA1, t), "emp", form_secs=3.8)
lap.connected(up + 0.3)

# --------------------------------------------------------------------------
# Background firewall traffic (most of the file)
# --------------------------------------------------------------------------

INSIDE_SERVERS = ["10.10.5.20", "10.10.5.21", "10.10.5.40", "10.10.6.11", "10.10.6.12", "10.10.8.30", "10.10.9.5"]
INSIDE_CLIENTS = ["10.10.%d.%d" % (rng.randint(2, 4), rng.randint(10, 250)) for _ in range(60)]
VPN_ADDRS = ["10.60.1.%d" % rng.randint(10, 140) for _ in range(50)]
WEB = ["198.51.100.%d" % n for n in range(200, 251)] + ["203.0.113.%d" % n for n in range(200, 231)]
SCANNERS = ["203.0.113.%d" % n for n in range(231, 255)]
DNS = "10.10.0.53"
conn_id = {ASA1: 3_184_220_117, ASA2: 1_907_456_338}


def next_conn(host):
    conn_id[host] += rng.randint(1, 37)
    return conn_id[host]


def flow(t, host):
    kind = rng.random()
    cid = next_conn(host)
    if kind < 0.34:  # VPN client to an inside server over the tunnel
        src, sport = rng.choice(VPN_ADDRS), eph_port()
        dst, dport = rng.choice(INSIDE_SERVERS), rng.choice([445, 443, 443, 3389, 22, 8443, 1433, 389])
        asa(t, host, "302013", "Built inbound TCP connection %d for outside:%s/%d (%s/%d) to inside:%s/%d (%s/%d)"
            % (cid, src, sport, src, sport, dst, dport, dst, dport))
        dur = rng.expovariate(1 / 90.0)
        reason = rng.choice(["TCP FINs"] * 6 + ["TCP Reset-O", "TCP Reset-I", "Conn-timeout"])
        asa(t + dur, host, "302014", "Teardown TCP connection %d for outside:%s/%d to inside:%s/%d duration %s bytes %d %s"
            % (cid, src, sport, dst, dport, hms_short(dur), rng.randint(300, 4_000_000), reason))
    elif kind < 0.50:  # DNS from VPN clients
        src, sport = rng.choice(VPN_ADDRS), eph_port()
        asa(t, host, "302015", "Built inbound UDP connection %d for outside:%s/%d (%s/%d) to inside:%s/53 (%s/53)"
            % (cid, src, sport, src, sport, DNS, DNS))
        dur = rng.uniform(0, 1.5)
        asa(t + dur, host, "302016", "Teardown UDP connection %d for outside:%s/%d to inside:%s/53 duration %s bytes %d"
            % (cid, src, sport, DNS, hms_short(dur), rng.randint(60, 480)))
    elif kind < 0.80:  # inside host to the internet, PAT
        src, sport = rng.choice(INSIDE_CLIENTS), eph_port()
        dst = rng.choice(WEB)
        udp = rng.random() < 0.25
        proto, dport = ("UDP", rng.choice([443, 123])) if udp else ("TCP", rng.choice([443, 443, 443, 80]))
        asa(t, host, "305011", "Built dynamic %s translation from inside:%s/%d to outside:%s/%d"
            % (proto, src, sport, PAT_IP[host], sport))
        if udp:
            asa(t, host, "302015", "Built outbound UDP connection %d for outside:%s/%d (%s/%d) to inside:%s/%d (%s/%d)"
                % (cid, dst, dport, dst, dport, src, sport, PAT_IP[host], sport))
            dur = rng.uniform(0.2, 120.0)
            asa(t + dur, host, "302016", "Teardown UDP connection %d for outside:%s/%d to inside:%s/%d duration %s bytes %d"
                % (cid, dst, dport, src, sport, hms_short(dur), rng.randint(76, 90000)))
        else:
            asa(t, host, "302013", "Built outbound TCP connection %d for outside:%s/%d (%s/%d) to inside:%s/%d (%s/%d)"
                % (cid, dst, dport, dst, dport, src, sport, PAT_IP[host], sport))
            dur = rng.expovariate(1 / 40.0)
            reason = rng.choice(["TCP FINs"] * 5 + ["TCP Reset-I", "TCP Reset-O", "SYN Timeout"])
            asa(t + dur, host, "302014", "Teardown TCP connection %d for outside:%s/%d to inside:%s/%d duration %s bytes %d %s"
                % (cid, dst, dport, src, sport, hms_short(dur), rng.randint(0, 2_500_000), reason))
        xdur = dur + 30 + rng.uniform(0, 1)
        asa(t + xdur, host, "305012", "Teardown dynamic %s translation from inside:%s/%d to outside:%s/%d duration %s"
            % (proto, src, sport, PAT_IP[host], sport, hms_short(xdur)))
    elif kind < 0.93:  # denied by ACL
        if rng.random() < 0.6:
            src, sport = rng.choice(SCANNERS), eph_port()
            dport = rng.choice([23, 22, 3389, 445, 1433, 5900, 8080])
            asa(t, host, "106023", 'Deny tcp src outside:%s/%d dst dmz:10.30.0.10/%d by access-group "outside_access_in" [0x0, 0x0]'
                % (src, sport, dport))
        else:
            # outbound SMTP straight to the internet is not allowed
            src, dst = rng.choice(INSIDE_CLIENTS), rng.choice(WEB)
            asa(t, host, "106023", 'Deny tcp src inside:%s/%d dst outside:%s/25 by access-group "inside_access_in" [0x9c2f41d7, 0x0]'
                % (src, eph_port(), dst))
    elif kind < 0.96:  # broadcast with no route out
        src = rng.choice(INSIDE_CLIENTS)
        asa(t, host, "110002", "Failed to locate egress interface for UDP from inside:%s/137 to 10.10.255.255/137" % src)
    else:  # a host shows up and goes idle
        h = rng.choice(INSIDE_CLIENTS + VPN_ADDRS)
        zone = "inside" if h.startswith("10.10.") else "outside"
        asa(t, host, "609001", "Built local-host %s:%s" % (zone, h))
        dur = rng.uniform(30, 600)
        asa(t + dur, host, "609002", "Teardown local-host %s:%s duration %s" % (zone, h, hms_short(dur)))


for host, rate in [(ASA1, 0.56), (ASA2, 0.33)]:  # flows per second
    t = START - 600
    while t < END:
        t += rng.expovariate(rate)
        flow(t, host)

# --------------------------------------------------------------------------
# Write files, then count what was actually written.
# --------------------------------------------------------------------------

CATALOG_IDS = ["113010", "113005", "716039", "113006", "113014", "113004", "113039"]


def count(asa_lines):
    per_user = defaultdict(lambda: defaultdict(int))
    attempts = defaultdict(int)
    pending = []  # (time, ip, user) of 113005 waiting for their 716039
    tag = re.compile(r"%ASA-\d-(\d{6}): (.*)$")
    for t, line in asa_lines:
        m = tag.search(line)
        mid, body = m.group(1), m.group(2)
        user = None
        if mid in ("113005", "113014", "113004"):
            user = re.search(r"user = (\S+)", body).group(1)
        elif mid in ("716039", "113039", "716038"):
            user = re.search(r"User <([^>]*)>", body).group(1)
        elif mid == "113006":
            user = re.search(r"User '([^']*)'", body).group(1)
        elif mid == "113010":
            user = re.search(r"for user (\S+) from", body).group(1)
        if user is None:
            continue
        per_user[user][mid] += 1
        if mid == "113005":
            ip = re.search(r"user IP = (\S+)", body).group(1)
            pending.append((t, ip, user))
        elif mid == "716039":
            ip = re.search(r"IP <([^>]*)>", body).group(1)
            match = [p for p in pending if p[1] == ip and p[2] == user and 0 <= t - p[0] <= 5]
            assert match, "716039 without a 113005 for %s at %s" % (user, t)
            pending.remove(match[0])
            attempts[user] += 1
        elif mid == "113014":
            attempts[user] += 1
    assert not pending, "113005 without a 716039: %r" % pending
    return per_user, attempts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample-logs"))
    ap.add_argument("--all", action="store_true", help="also list users who only succeeded")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    asa_records.sort()
    client_records.sort()
    with open(os.path.join(args.out, "asa-headend.log"), "w", newline="\n") as f:
        for _, _, line in asa_records:
            f.write(line + "\n")
    with open(os.path.join(args.out, "anyconnect-client.log"), "w", newline="\n") as f:
        for _, _, line in client_records:
            f.write(line + "\n")
    ise_records.sort()
    with open(os.path.join(args.out, "ise-auth.log"), "w", newline="\n") as f:
        for _, _, line in ise_records:
            f.write(line + "\n")

    trace_records.sort()
    with open(os.path.join(args.out, "asa-debug-trace.log"), "w", newline="\n") as f:
        for _, _, line in trace_records:
            f.write(line + "\n")

    per_user, attempts = count([(t, line) for t, _, line in asa_records])
    print("asa-headend.log: %d lines, anyconnect-client.log: %d lines, ise-auth.log: %d lines, "
          "asa-debug-trace.log: %d lines" % (
              len(asa_records), len(client_records), len(ise_records), len(trace_records)))
    ise_count = defaultdict(lambda: defaultdict(int))
    for _, _, line in ise_records:
        m = re.search(r"UserName=([^,]+),", line)
        if m:
            kind = "failed" if "CISE_Failed_Attempts" in line else "passed"
            reason = re.search(r"FailureReason=(\d+)", line)
            ise_count[m.group(1)][kind + (":" + reason.group(1) if reason else "")] += 1
    print("ise-auth.log messages per user (first segments only): " + "; ".join(
        "%s %s" % (u, dict(c)) for u, c in sorted(ise_count.items()) if any(k.startswith("failed") for k in c)))
    print()
    head = "%-10s %6s %6s %6s %6s %6s %8s %6s %6s" % (
        "user", "113010", "113005", "716039", "113006", "113014", "attempts", "113004", "113039")
    print(head)
    print("-" * len(head))
    failing = [u for u in sorted(per_user) if any(per_user[u][i] for i in ("113005", "113006", "113014", "716039"))]
    others = [u for u in sorted(per_user) if u not in failing]
    for u in failing + (others if args.all else []):
        c = per_user[u]
        print("%-10s %6d %6d %6d %6d %6d %8d %6d %6d" % (
            u, c["113010"], c["113005"], c["716039"], c["113006"], c["113014"], attempts[u], c["113004"], c["113039"]))
    print()
    print("users with successes only: %d (113004 lines: %d, 113039 lines: %d)" % (
        len(others), sum(per_user[u]["113004"] for u in others), sum(per_user[u]["113039"] for u in others)))
    print("all users: 113004 authentication Successful lines: %d, 113039 lines: %d" % (
        sum(c["113004"] for c in per_user.values()), sum(c["113039"] for c in per_user.values())))
    per_id = defaultdict(int)
    for _, _, line in asa_records:
        per_id[re.search(r"%ASA-\d-(\d{6})", line).group(1)] += 1
    print("lines per message id: " + ", ".join("%s=%d" % (k, per_id[k]) for k in sorted(per_id)))
    client_hosts = defaultdict(lambda: defaultdict(int))
    for _, _, line in client_records:
        hostname = line.split()[3]
        if "Login failed." in line:
            client_hosts[hostname]["login_failed"] += 1
        if "Connection attempt has failed." in line:
            client_hosts[hostname]["attempt_failed"] += 1
        if "PasswordEntry username is" in line:
            client_hosts[hostname]["getUserName"] += 1
        if "Description: CERT" in line:
            client_hosts[hostname]["cert_errors"] += 1
        if "Connected to" in line:
            client_hosts[hostname]["connected"] += 1
        client_hosts[hostname]["lines"] += 1
    print()
    print("%-14s %5s %11s %12s %14s %11s %9s" % ("laptop", "lines", "getUserName", "login_failed", "attempt_failed",
                                              "cert_errors", "connected"))
    for h in sorted(client_hosts):
        c = client_hosts[h]
        print("%-14s %5d %11d %12d %14d %11d %9d" % (h, c["lines"], c["getUserName"], c["login_failed"],
                                                   c["attempt_failed"], c["cert_errors"], c["connected"]))


if __name__ == "__main__":
    main()

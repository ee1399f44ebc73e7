//! A small RADIUS client: the packets a probe sends (Status-Server, RFC 5997;
//! a test Access-Request, RFC 2865) and the checks on the answer.
//!
//! Hand-written because the probe needs four codes and five attributes; the
//! digests come from RustCrypto (`md-5`, `hmac`). The shared secret and the
//! test password are parameters only: nothing here stores, prints or returns
//! them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};

pub const ACCESS_REQUEST: u8 = 1;
pub const ACCESS_ACCEPT: u8 = 2;
pub const ACCESS_REJECT: u8 = 3;
pub const ACCESS_CHALLENGE: u8 = 11;
pub const STATUS_SERVER: u8 = 12;

pub const ATTR_USER_NAME: u8 = 1;
pub const ATTR_USER_PASSWORD: u8 = 2;
pub const ATTR_REPLY_MESSAGE: u8 = 18;
pub const ATTR_NAS_IDENTIFIER: u8 = 32;
pub const ATTR_MESSAGE_AUTHENTICATOR: u8 = 80;

const HEADER_LEN: usize = 20;
/// RFC 2865 section 3: a packet is at most 4096 bytes.
const MAX_PACKET: usize = 4096;

/// One RADIUS packet, attributes in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub code: u8,
    pub id: u8,
    pub authenticator: [u8; 16],
    pub attributes: Vec<(u8, Vec<u8>)>,
}

/// Why bytes are not a RADIUS packet.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("packet shorter than its header")]
    Short,
    #[error("packet length field disagrees with the datagram")]
    Length,
    #[error("attribute runs past the packet end")]
    Attribute,
}

impl Packet {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(self.code);
        out.push(self.id);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.authenticator);
        for (t, v) in &self.attributes {
            // Values over 253 bytes do not fit one attribute; the probe never
            // builds one (names and passwords are capped before this).
            let v = &v[..v.len().min(253)];
            out.push(*t);
            out.push((v.len() + 2) as u8);
            out.extend_from_slice(v);
        }
        let len = out.len().min(MAX_PACKET) as u16;
        out[2..4].copy_from_slice(&len.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::Short);
        }
        let len = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
        if len < HEADER_LEN || len > bytes.len() || len > MAX_PACKET {
            return Err(DecodeError::Length);
        }
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&bytes[4..20]);
        let mut attributes = Vec::new();
        let mut rest = &bytes[HEADER_LEN..len];
        while !rest.is_empty() {
            if rest.len() < 2 || (rest[1] as usize) < 2 || rest[1] as usize > rest.len() {
                return Err(DecodeError::Attribute);
            }
            let alen = rest[1] as usize;
            attributes.push((rest[0], rest[2..alen].to_vec()));
            rest = &rest[alen..];
        }
        Ok(Packet {
            code: bytes[0],
            id: bytes[1],
            authenticator,
            attributes,
        })
    }

    /// The first value of attribute `t`.
    pub fn attribute(&self, t: u8) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|(k, _)| *k == t)
            .map(|(_, v)| v.as_slice())
    }
}

/// A request's packet with its Message-Authenticator (RFC 3579 section 3.2)
/// filled in: HMAC-MD5 keyed with the secret over the packet with the
/// attribute's value zeroed.
pub fn sign_request(mut packet: Packet, secret: &[u8]) -> Vec<u8> {
    packet
        .attributes
        .retain(|(t, _)| *t != ATTR_MESSAGE_AUTHENTICATOR);
    packet
        .attributes
        .push((ATTR_MESSAGE_AUTHENTICATOR, vec![0; 16]));
    let mut bytes = packet.encode();
    let mac = hmac_md5(secret, &bytes);
    let at = bytes.len() - 16;
    bytes[at..].copy_from_slice(&mac);
    bytes
}

fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// User-Password hidden as RFC 2865 section 5.2 says.
pub fn hide_password(password: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Vec<u8> {
    let mut padded = password[..password.len().min(128)].to_vec();
    let pad = (16 - padded.len() % 16) % 16;
    padded.extend(std::iter::repeat_n(
        0,
        if padded.is_empty() { 16 } else { pad },
    ));
    let mut out = Vec::with_capacity(padded.len());
    let mut prev: Vec<u8> = authenticator.to_vec();
    for chunk in padded.chunks(16) {
        let mut h = Md5::new();
        h.update(secret);
        h.update(&prev);
        let b = h.finalize();
        let c: Vec<u8> = chunk.iter().zip(b.iter()).map(|(p, k)| p ^ k).collect();
        out.extend_from_slice(&c);
        prev = c;
    }
    out
}

/// True when `response`'s Response Authenticator is
/// MD5(Code+ID+Length+RequestAuth+Attributes+Secret), i.e. the server
/// knows our secret and answers this request.
pub fn response_is_authentic(response: &[u8], request_auth: &[u8; 16], secret: &[u8]) -> bool {
    if response.len() < HEADER_LEN {
        return false;
    }
    let len = (u16::from_be_bytes([response[2], response[3]]) as usize).min(response.len());
    let mut h = Md5::new();
    h.update(&response[..4]);
    h.update(request_auth);
    h.update(&response[HEADER_LEN..len]);
    h.update(secret);
    h.finalize().as_slice() == &response[4..20]
}

/// Sixteen unpredictable bytes for a Request Authenticator.
pub fn random_authenticator() -> [u8; 16] {
    let mut out = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        if f.read_exact(&mut out).is_ok() {
            return out;
        }
    }
    // No /dev/urandom: the std hasher's per-process random keys.
    use std::hash::{BuildHasher, Hasher};
    for half in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        half.copy_from_slice(&h.finish().to_be_bytes());
    }
    out
}

/// What came back for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// An authentic answer: its code and Reply-Message, after `elapsed`.
    Answer {
        code: u8,
        reply_message: Option<String>,
        elapsed: Duration,
    },
    /// Nothing authentic within the time allowed, after `tries` sends.
    NoAnswer { tries: u32, waited: Duration },
}

/// Sends `packet` (signed) to `server` and waits for an authentic answer
/// with the same id: `tries` sends, `timeout` each. Answers that fail the
/// authenticator check are ignored, as a RADIUS client must.
pub async fn exchange(
    server: SocketAddr,
    packet: Packet,
    secret: &[u8],
    timeout: Duration,
    tries: u32,
) -> std::io::Result<Reply> {
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().map_err(std::io::Error::other)?
    } else {
        "[::]:0".parse().map_err(std::io::Error::other)?
    };
    let socket = tokio::net::UdpSocket::bind(bind).await?;
    socket.connect(server).await?;
    let id = packet.id;
    let request_auth = packet.authenticator;
    let bytes = sign_request(packet, secret);
    let start = Instant::now();
    let mut buf = vec![0u8; MAX_PACKET];
    for _ in 0..tries.max(1) {
        socket.send(&bytes).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await;
            let n = match got {
                Err(_) => break,
                // ICMP port unreachable shows up as a refused receive: the
                // port is closed, which is no answer too; wait the try out
                // so the retry count means the same thing.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
                Ok(Err(e)) => return Err(e),
                Ok(Ok(n)) => n,
            };
            let data = &buf[..n];
            let Ok(reply) = Packet::decode(data) else {
                continue;
            };
            if reply.id != id || !response_is_authentic(data, &request_auth, secret) {
                continue;
            }
            let reply_message = reply
                .attributes
                .iter()
                .filter(|(t, _)| *t == ATTR_REPLY_MESSAGE)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                .reduce(|a, b| a + &b);
            return Ok(Reply::Answer {
                code: reply.code,
                reply_message,
                elapsed: start.elapsed(),
            });
        }
    }
    Ok(Reply::NoAnswer {
        tries: tries.max(1),
        waited: start.elapsed(),
    })
}

/// A Status-Server request (RFC 5997 section 3).
pub fn status_server(id: u8) -> Packet {
    Packet {
        code: STATUS_SERVER,
        id,
        authenticator: random_authenticator(),
        attributes: Vec::new(),
    }
}

/// A test Access-Request for `user` with `password` hidden.
pub fn access_request(id: u8, user: &str, password: &[u8], secret: &[u8]) -> Packet {
    let authenticator = random_authenticator();
    let user = &user.as_bytes()[..user.len().min(253)];
    Packet {
        code: ACCESS_REQUEST,
        id,
        authenticator,
        attributes: vec![
            (ATTR_USER_NAME, user.to_vec()),
            (
                ATTR_USER_PASSWORD,
                hide_password(password, secret, &authenticator),
            ),
            (ATTR_NAS_IDENTIFIER, b"vpnwatch-probe".to_vec()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    /// RFC 2865 section 7.1: user "nemo", password "arctangent", secret
    /// "xyzzy5461"; the request's bytes and the server's Access-Accept.
    const RFC2865_REQUEST: &str = "01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb \
        98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee \
        04 06 c0 a8 01 10 05 06 00 00 00 03";
    const RFC2865_ACCEPT: &str = "02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf \
        9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03";

    #[test]
    fn user_password_hidden_as_rfc2865_example() {
        let req = Packet::decode(&hex(RFC2865_REQUEST)).unwrap();
        let hidden = hide_password(b"arctangent", b"xyzzy5461", &req.authenticator);
        assert_eq!(
            hidden.as_slice(),
            req.attribute(ATTR_USER_PASSWORD).unwrap()
        );
    }

    #[test]
    fn packet_round_trips_byte_for_byte() {
        let bytes = hex(RFC2865_REQUEST);
        let req = Packet::decode(&bytes).unwrap();
        assert_eq!(req.code, ACCESS_REQUEST);
        assert_eq!(req.attribute(ATTR_USER_NAME), Some(&b"nemo"[..]));
        assert_eq!(req.encode(), bytes);
    }

    #[test]
    fn response_authenticator_checked_as_rfc2865_example() {
        let req = Packet::decode(&hex(RFC2865_REQUEST)).unwrap();
        let accept = hex(RFC2865_ACCEPT);
        assert!(response_is_authentic(
            &accept,
            &req.authenticator,
            b"xyzzy5461"
        ));
        assert!(!response_is_authentic(
            &accept,
            &req.authenticator,
            b"wrong"
        ));
        let mut tampered = accept.clone();
        tampered[25] ^= 1;
        assert!(!response_is_authentic(
            &tampered,
            &req.authenticator,
            b"xyzzy5461"
        ));
    }

    /// RFC 5997 section 6: a Status-Server with id 218 and secret
    /// "xyzzy5461", its Message-Authenticator as printed there.
    #[test]
    fn status_server_message_authenticator_as_rfc5997_example() {
        let expected = hex(
            "0c da 00 26 8a 54 f4 68 6f b3 94 c5 28 66 e3 02 18 5d 06 23 \
             50 12 5a 66 5e 2e 1e 84 11 f3 e2 43 82 20 97 c8 4f a3",
        );
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&expected[4..20]);
        let packet = Packet {
            code: STATUS_SERVER,
            id: 0xda,
            authenticator,
            attributes: Vec::new(),
        };
        assert_eq!(sign_request(packet, b"xyzzy5461"), expected);
    }

    #[test]
    fn malformed_packets_are_errors_not_panics() {
        assert_eq!(Packet::decode(&[1, 2, 3]), Err(DecodeError::Short));
        let mut bytes = hex(RFC2865_REQUEST);
        bytes[3] = 0xff;
        assert_eq!(Packet::decode(&bytes), Err(DecodeError::Length));
        let mut bytes = hex(RFC2865_REQUEST);
        bytes[21] = 0x40;
        assert_eq!(Packet::decode(&bytes), Err(DecodeError::Attribute));
    }

    #[test]
    fn long_passwords_hide_in_blocks_of_sixteen() {
        let auth = [7u8; 16];
        assert_eq!(hide_password(b"", b"s", &auth).len(), 16);
        assert_eq!(hide_password(&[b'x'; 17], b"s", &auth).len(), 32);
    }
}

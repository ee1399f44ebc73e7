//! The kernel's side of a UDP socket: the receive buffer asked for and the
//! per-socket drop counter, where the platform has them.

/// Linux: the receive buffer and its drop counter, read with `recvmsg`
/// control messages.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use std::io;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::AsRawFd;

    use tokio::net::UdpSocket;

    fn set_int(fd: i32, opt: libc::c_int, value: libc::c_int) -> bool {
        // SAFETY: a valid descriptor and a pointer to an int of the size given.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&raw const value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        r == 0
    }

    /// Asks for `bytes` of receive buffer (beyond `rmem_max` when allowed);
    /// the size granted, as the kernel reports it.
    pub fn set_rcvbuf(socket: &UdpSocket, bytes: usize) -> Option<usize> {
        let fd = socket.as_raw_fd();
        let want = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        if !set_int(fd, libc::SO_RCVBUFFORCE, want) {
            set_int(fd, libc::SO_RCVBUF, want);
        }
        let mut got: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid descriptor, an int and its length.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&raw mut got).cast(),
                &raw mut len,
            )
        };
        (r == 0).then(|| usize::try_from(got).unwrap_or(0))
    }

    /// Turns on the per-socket drop counter; false when the kernel refuses.
    pub fn enable_drop_counter(socket: &UdpSocket) -> bool {
        set_int(socket.as_raw_fd(), libc::SO_RXQ_OVFL, 1)
    }

    /// One datagram without waiting: its length, sender and the kernel's
    /// running count of datagrams dropped on this socket (when it sent one).
    pub fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<u32>)> {
        // SAFETY: all-zero is a valid sockaddr_storage and msghdr.
        let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // u64s for alignment; room for a few control messages.
        let mut control = [0u64; 16];
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&raw mut addr).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control);
        // SAFETY: every pointer in `msg` points at a live buffer of the length given.
        let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &raw mut msg, libc::MSG_DONTWAIT) };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        let mut drops = None;
        // SAFETY: walking the control messages the kernel wrote into `control`.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SO_RXQ_OVFL
                {
                    drops = Some(libc::CMSG_DATA(cmsg).cast::<u32>().read_unaligned());
                }
                cmsg = libc::CMSG_NXTHDR(&raw const msg, cmsg);
            }
        }
        let from = match i32::from(addr.ss_family) {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in for AF_INET.
                let a = unsafe { &*(&raw const addr).cast::<libc::sockaddr_in>() };
                SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                ))
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 for AF_INET6.
                let a = unsafe { &*(&raw const addr).cast::<libc::sockaddr_in6>() };
                SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                ))
            }
            _ => return Err(io::Error::other("datagram from an unknown address family")),
        };
        Ok((n, from, drops))
    }
}

/// Elsewhere: the operating system's defaults, and no drop counter.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    use std::io;
    use std::net::SocketAddr;

    use tokio::net::UdpSocket;

    pub fn set_rcvbuf(_: &UdpSocket, _: usize) -> Option<usize> {
        None
    }

    pub fn enable_drop_counter(_: &UdpSocket) -> bool {
        false
    }

    pub fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<u32>)> {
        socket.try_recv_from(buf).map(|(n, a)| (n, a, None))
    }
}

pub use imp::*;

//! `--syslog-tls`: the server side of RFC 5425 from PEM files.

use std::path::Path;
use std::sync::Arc;

/// Loads the certificate chain and private key (PEM files) for
/// `--syslog-tls`. Errors name the file.
pub fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use anyhow::Context;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no certificate in the file", cert.display());
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("--tls-cert and --tls-key do not make a usable pair")?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

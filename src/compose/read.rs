//! Reading back what a compose file says about the `lakekeeper` service: its image (an answer
//! the `.env` does not hold) and the host ports published for Lakekeeper's 8181.
//!
//! Pure text in, values out; an unreadable file reads as "says nothing".

use yaml_rust2::{Yaml, YamlLoader};

/// Lakekeeper's port inside the container.
const CONTAINER_PORT: u16 = 8181;

/// What one compose file sets on the `lakekeeper` service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LakekeeperService {
    pub image: Option<String>,
    /// Host ports published for the container's 8181.
    pub published: Vec<u16>,
}

fn service(text: &str) -> Option<Yaml> {
    let docs = YamlLoader::load_from_str(text).ok()?;
    let root = docs.into_iter().next()?;
    let svc = root["services"]["lakekeeper"].clone();
    (!svc.is_badvalue() && !svc.is_null()).then_some(svc)
}

/// The `lakekeeper` service as `text` sets it (`None` when the file has no such service).
pub fn lakekeeper_service(text: &str) -> Option<LakekeeperService> {
    let svc = service(text)?;
    let image = svc["image"].as_str().map(|s| s.trim().to_owned());
    let published = svc["ports"]
        .as_vec()
        .map(|ports| ports.iter().filter_map(published_port).collect())
        .unwrap_or_default();
    Some(LakekeeperService { image, published })
}

/// The host port of one `ports` item that publishes 8181: `"8181:8181"`,
/// `"127.0.0.1:8282:8181/tcp"`, or the long form `{target: 8181, published: 8282}`.
fn published_port(item: &Yaml) -> Option<u16> {
    if let Some(h) = item.as_hash() {
        let get = |k: &str| h.get(&Yaml::String(k.to_owned()));
        let num = |y: Option<&Yaml>| match y {
            Some(Yaml::Integer(n)) => u16::try_from(*n).ok(),
            Some(Yaml::String(s)) => s.parse().ok(),
            _ => None,
        };
        return (num(get("target")) == Some(CONTAINER_PORT))
            .then(|| num(get("published")))
            .flatten();
    }
    let text = match item {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(n) => n.to_string(),
        _ => return None,
    };
    let text = text.split('/').next().unwrap_or_default();
    let mut parts = text.rsplitn(3, ':');
    let container: u16 = parts.next()?.parse().ok()?;
    let host: u16 = parts.next()?.parse().ok()?;
    (container == CONTAINER_PORT).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_and_every_form_of_published_port_are_read() {
        let text = "services:\n  lakekeeper:\n    image: quay.io/lakekeeper/catalog:v0.13.2\n    ports:\n      - \"8282:8181\"\n      - 127.0.0.1:8383:8181/tcp\n      - target: 8181\n        published: \"8484\"\n      - \"9000:9000\"\n";
        assert_eq!(
            lakekeeper_service(text),
            Some(LakekeeperService {
                image: Some("quay.io/lakekeeper/catalog:v0.13.2".into()),
                published: vec![8282, 8383, 8484],
            })
        );
        assert_eq!(
            lakekeeper_service("services:\n  backend:\n    image: b\n"),
            None
        );
        assert_eq!(lakekeeper_service(": not yaml ["), None);
    }
}

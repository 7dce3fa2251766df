//! `AzureEndpoints`: the one value that says where Microsoft Graph, ARM and Key Vault are, and
//! which token resource each takes — read from `az cloud show`, so US Government and China work,
//! and so tests can point everything at a loopback stand-in. No client holds a base URL of its
//! own; this module performs no I/O.

use serde::Deserialize;
use url::Url;

use crate::verify::http;

/// The active cloud's endpoints (no trailing slash on the bases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureEndpoints {
    /// `AzureCloud`, `AzureUSGovernment`, `AzureChinaCloud`, or a custom cloud's name.
    pub cloud_name: String,
    /// Login host (`https://login.microsoftonline.com`).
    pub authority: String,
    /// ARM base (`https://management.azure.com`).
    pub arm: String,
    /// The token resource for ARM (`https://management.core.windows.net/`).
    pub arm_resource: String,
    /// Graph base including the version (`https://graph.microsoft.com/v1.0`).
    pub graph: String,
    /// The token resource for Graph (`https://graph.microsoft.com`).
    pub graph_resource: String,
    /// Key Vault DNS suffix with its leading dot (`.vault.azure.net`).
    pub keyvault_suffix: String,
    /// The token resource for Key Vault's data plane (`https://vault.azure.net`).
    pub keyvault_resource: String,
}

#[derive(Deserialize)]
struct RawCloud {
    #[serde(default)]
    name: String,
    endpoints: RawEndpoints,
    suffixes: RawSuffixes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEndpoints {
    active_directory: Option<String>,
    active_directory_resource_id: Option<String>,
    microsoft_graph_resource_id: Option<String>,
    resource_manager: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSuffixes {
    keyvault_dns: Option<String>,
}

/// Why `az cloud show`'s answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`az cloud show` {0}")]
pub struct EndpointsError(pub String);

fn base(name: &str, value: Option<String>) -> Result<String, EndpointsError> {
    let v = value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| EndpointsError(format!("has no `{name}`")))?;
    let url = http::parse_allowed(v.trim())
        .map_err(|e| EndpointsError(format!("gives `{name}` = {e}")))?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl AzureEndpoints {
    /// Reads `az cloud show -o json`. Every URL must be https (or http on loopback, for tests).
    pub fn from_cloud_show(json: &str) -> Result<AzureEndpoints, EndpointsError> {
        let raw: RawCloud = serde_json::from_str(json)
            .map_err(|e| EndpointsError(format!("printed something that is not its JSON ({e})")))?;
        let e = raw.endpoints;
        let authority = base("endpoints.activeDirectory", e.active_directory)?;
        let arm = base("endpoints.resourceManager", e.resource_manager)?;
        let arm_resource = e
            .active_directory_resource_id
            .filter(|r| !r.is_empty())
            .ok_or_else(|| EndpointsError("has no `endpoints.activeDirectoryResourceId`".into()))?;
        let graph_root = base(
            "endpoints.microsoftGraphResourceId",
            e.microsoft_graph_resource_id,
        )?;
        let suffix = raw
            .suffixes
            .keyvault_dns
            .filter(|s| s.starts_with('.') && s.len() > 1)
            .ok_or_else(|| EndpointsError("has no `suffixes.keyvaultDns`".into()))?;
        Ok(AzureEndpoints {
            cloud_name: raw.name,
            authority,
            arm,
            arm_resource,
            graph: format!("{graph_root}/v1.0"),
            graph_resource: graph_root,
            keyvault_resource: format!("https://{}", suffix.trim_start_matches('.')),
            keyvault_suffix: suffix,
        })
    }

    /// `base` + `path_and_query` as a URL (the path starts with `/`).
    pub fn url(base: &str, path_and_query: &str) -> Result<Url, http::HttpError> {
        http::parse_allowed(&format!("{base}{path_and_query}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = r#"{"endpoints":{"activeDirectory":"https://login.microsoftonline.com","activeDirectoryResourceId":"https://management.core.windows.net/","microsoftGraphResourceId":"https://graph.microsoft.com/","resourceManager":"https://management.azure.com/"},"isActive":true,"name":"AzureCloud","profile":"latest","suffixes":{"keyvaultDns":".vault.azure.net","storageEndpoint":"core.windows.net"}}"#;

    #[test]
    fn public_cloud_endpoints_are_derived_from_cloud_show() {
        let e = AzureEndpoints::from_cloud_show(PUBLIC).expect("parses");
        assert_eq!(e.arm, "https://management.azure.com");
        assert_eq!(e.arm_resource, "https://management.core.windows.net/");
        assert_eq!(e.graph, "https://graph.microsoft.com/v1.0");
        assert_eq!(e.graph_resource, "https://graph.microsoft.com");
        assert_eq!(e.keyvault_resource, "https://vault.azure.net");
        assert_eq!(e.keyvault_suffix, ".vault.azure.net");
        assert_eq!(e.authority, "https://login.microsoftonline.com");
    }

    #[test]
    fn sovereign_and_loopback_endpoints_follow_and_plain_http_elsewhere_is_refused() {
        let china = PUBLIC
            .replace(
                "https://management.azure.com/",
                "https://management.chinacloudapi.cn",
            )
            .replace(
                "https://graph.microsoft.com/",
                "https://microsoftgraph.chinacloudapi.cn",
            )
            .replace(".vault.azure.net", ".vault.azure.cn");
        let e = AzureEndpoints::from_cloud_show(&china).expect("parses");
        assert_eq!(e.graph, "https://microsoftgraph.chinacloudapi.cn/v1.0");
        assert_eq!(e.keyvault_resource, "https://vault.azure.cn");
        let stand_in = PUBLIC.replace("https://management.azure.com/", "http://127.0.0.1:4567/arm");
        assert_eq!(
            AzureEndpoints::from_cloud_show(&stand_in)
                .expect("loopback")
                .arm,
            "http://127.0.0.1:4567/arm"
        );
        let plain = PUBLIC.replace(
            "https://management.azure.com/",
            "http://management.azure.com/",
        );
        assert!(AzureEndpoints::from_cloud_show(&plain).is_err());
    }
}

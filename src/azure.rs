//! Azure assist: values picked from the user's Azure login (Azure CLI tokens, Microsoft Graph,
//! ARM) and secrets read from the team's Key Vault.

pub mod pick;

//! Reading `text/event-stream` in tests and the load harness.

/// Takes every complete event out of `buffer` and returns the profile names they carry.
pub fn drain_names(buffer: &mut String) -> Vec<String> {
    drain_profiles(buffer)
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

/// Takes every complete event out of `buffer` and returns the profiles they carry, each as its
/// event's `id:` (empty when it has none) and the profile's name.
pub fn drain_profiles(buffer: &mut String) -> Vec<(String, String)> {
    let mut profiles = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let event: String = buffer.drain(..end + 2).collect();
        let field = |name: &str| {
            event
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .map(str::trim)
        };
        if let Some(data) = field("data:")
            && let Ok(profile) = serde_json::from_str::<serde_json::Value>(data)
            && let Some(name) = profile["name"].as_str()
        {
            let id = field("id:").unwrap_or_default().to_owned();
            profiles.push((id, name.to_owned()));
        }
    }
    profiles
}

//! What a launch call started: instance types and how many, from the request or the
//! response (a refused call has only the request).

use serde_json::Value;

/// The instance types and the number of instances a launch call started or asked for.
pub fn launched(json: &Value) -> (Vec<String>, u32) {
    let params = json.get("requestParameters").unwrap_or(&Value::Null);
    let ty = params
        .get("instanceType")
        .or_else(|| params.pointer("/launchSpecification/instanceType"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let items = json
        .pointer("/responseElements/instancesSet/items")
        .and_then(Value::as_array);
    let mut types: Vec<String> = items
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("instanceType").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if types.is_empty() {
        types.extend(ty);
    }
    let asked = || {
        // RunInstances records the counts inside `instancesSet.items`; spot requests at the top.
        let within = params
            .pointer("/instancesSet/items")
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("maxCount").and_then(as_u32))
                    .reduce(|a, b| a + b)
            });
        within.or_else(|| {
            ["instanceCount", "maxCount"]
                .iter()
                .find_map(|k| params.get(*k).and_then(as_u32))
        })
    };
    let count = match items {
        Some(i) if !i.is_empty() => i.len() as u32,
        _ => asked().unwrap_or(1),
    };
    (types, count)
}

fn as_u32(v: &Value) -> Option<u32> {
    v.as_u64()
        .map(|n| n.min(u64::from(u32::MAX)) as u32)
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_come_from_the_response_then_the_request() {
        let answered = json!({"requestParameters":{"instanceType":"p3.2xlarge"},
            "responseElements":{"instancesSet":{"items":[{"instanceType":"p3.2xlarge"},{"instanceType":"p3.2xlarge"}]}}});
        assert_eq!(launched(&answered), (vec!["p3.2xlarge".into(); 2], 2));
        let refused = json!({"requestParameters":{"instanceType":"p2.xlarge",
            "instancesSet":{"items":[{"imageId":"ami-1","maxCount":10,"minCount":1}]}}});
        assert_eq!(launched(&refused), (vec!["p2.xlarge".into()], 10));
        let spot = json!({"requestParameters":{"instanceCount":"4",
            "launchSpecification":{"instanceType":"g5.xlarge"}}});
        assert_eq!(launched(&spot), (vec!["g5.xlarge".into()], 4));
        assert_eq!(launched(&Value::Null), (vec![], 1));
    }
}

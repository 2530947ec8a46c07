extern crate std;

use super::*;
use soroban_sdk::symbol_short;

#[test]
fn follower_basics() {
    let env = Env::default();
    let id = env.register(Follower, ());
    let c = FollowerClient::new(&env, &id);
    assert_eq!(c.version(), if cfg!(feature = "v2") { 2 } else { 1 });
    assert_eq!(c.hello(&41), 42);
    assert_eq!(c.get(&symbol_short!("k")), None);
    c.put(&symbol_short!("k"), &7);
    assert_eq!(c.get(&symbol_short!("k")), Some(7));
    assert_eq!(c.whoami(), id);
}

#[cfg(feature = "v2")]
#[test]
fn follower_bump() {
    let env = Env::default();
    let id = env.register(Follower, ());
    let c = FollowerClient::new(&env, &id);
    assert_eq!(c.bump(&symbol_short!("n")), 1);
    c.put(&symbol_short!("n"), &10);
    assert_eq!(c.bump(&symbol_short!("n")), 11);
    assert_eq!(c.get(&symbol_short!("n")), Some(11));
}

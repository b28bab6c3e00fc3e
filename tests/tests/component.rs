//! The component's shape: its imports are the sandbox, its exports the
//! interfaces of the `moth:auth` WIT world.

use moth::Runtime;

#[test]
fn the_component_imports_exactly_store_clock_and_random() {
    let rt = Runtime::shared().unwrap();
    let ty = rt.component().component_type();
    let mut imports: Vec<String> = ty
        .imports(rt.engine())
        .map(|(name, _)| name.to_string())
        .collect();
    imports.sort();
    assert_eq!(
        imports,
        [
            "moth:auth/store@0.2.0",
            "wasi:clocks/wall-clock@0.2.0",
            "wasi:random/random@0.2.0"
        ]
    );
    let mut exports: Vec<String> = ty
        .exports(rt.engine())
        .map(|(name, _)| name.to_string())
        .collect();
    exports.sort();
    assert_eq!(
        exports,
        [
            "moth:auth/accounts@0.2.0",
            "moth:auth/api-keys@0.2.0",
            "moth:auth/attempts@0.2.0",
            "moth:auth/email-tokens@0.2.0",
            "moth:auth/oauth@0.2.0",
            "moth:auth/one-time-tokens@0.2.0",
            "moth:auth/roles@0.2.0",
            "moth:auth/sessions@0.2.0",
            "moth:auth/settings@0.2.0",
            "moth:auth/types@0.2.0",
            "moth:auth/users@0.2.0"
        ],
        "one interface per capability, plus the shared types"
    );
}

#[test]
fn the_component_is_a_component_not_a_core_module() {
    // Component binary preamble: magic, then version 0x0d and layer 0x01.
    assert_eq!(&moth::COMPONENT[..8], b"\0asm\x0d\0\x01\0");
}

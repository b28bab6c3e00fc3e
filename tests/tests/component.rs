//! The component's shape: its imports are the sandbox.

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
            "moth:auth/store@0.1.0",
            "wasi:clocks/wall-clock@0.2.0",
            "wasi:random/random@0.2.0"
        ]
    );
    let exports: Vec<String> = ty
        .exports(rt.engine())
        .map(|(name, _)| name.to_string())
        .collect();
    assert!(
        exports.contains(&"moth:auth/users@0.1.0".to_string()),
        "{exports:?}"
    );
}

#[test]
fn the_component_is_a_component_not_a_core_module() {
    // Component binary preamble: magic, then version 0x0d and layer 0x01.
    assert_eq!(&moth::runtime::COMPONENT[..8], b"\0asm\x0d\0\x01\0");
}

//! The bindings generated from the WIT world `auth`, and the one export of
//! the component.

wit_bindgen::generate!({
    world: "auth",
    path: "../wit",
    generate_all,
    default_bindings_module: "crate::bindings",
});

/// The component: one `Guest` impl per exported interface, in the module
/// named after it.
pub struct Component;

export!(Component);

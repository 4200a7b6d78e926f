//! One name table per option enum.
//!
//! [`named_enum!`](crate::named_enum) takes a fieldless enum's names, once, and gives it
//! everything that reads or writes them: `ALL`, `as_str`, `aliases`, `Display`, `FromStr`
//! (case-insensitive, names and aliases, an error that lists the names), the conversions serde
//! uses (`#[serde(into = "&'static str", try_from = "String")]` on the enum), and, when the
//! invoking crate's `clap` feature is on, `clap::ValueEnum`, so that a command line takes the
//! library's enums as they are instead of mirroring them.

/// Implements the names of a fieldless enum from one table.
///
/// The invoking crate declares a `clap` feature (`clap = ["dep:clap"]`); the enum derives
/// serde through the generated conversions:
///
/// ```
/// #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
/// #[serde(into = "&'static str", try_from = "String")]
/// pub enum Shape {
///     Round,
///     Square,
/// }
/// mixture_core::named_enum!(Shape, "shape", {
///     Round => "round" | "circle",
///     Square => "square",
/// });
///
/// assert_eq!(Shape::ALL, [Shape::Round, Shape::Square]);
/// assert_eq!("Circle".parse::<Shape>(), Ok(Shape::Round));
/// assert_eq!(Shape::Square.to_string(), "square");
/// assert_eq!(
///     "oval".parse::<Shape>().unwrap_err(),
///     "unknown shape `oval`; expected one of round, square"
/// );
/// assert_eq!(serde_json::to_string(&Shape::Round).unwrap(), "\"round\"");
/// ```
#[macro_export]
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order of the name table.
            pub const ALL: [Self; { [$($name),+].len() }] = [$(Self::$variant),+];

            /// The value's name: on the command line, in files and in messages.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }

            /// Other spellings that parsing accepts.
            pub fn aliases(self) -> &'static [&'static str] {
                match self {
                    $(Self::$variant => &[$($alias),*]),+
                }
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $ty {
            type Err = ::std::string::String;

            /// A name or an alias, in any case, `_` read as `-`.
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == wanted || v.aliases().contains(&wanted.as_str()))
                    .ok_or_else(|| {
                        ::std::format!(
                            "unknown {} `{}`; expected one of {}",
                            $what,
                            s,
                            Self::ALL.map(Self::as_str).join(", ")
                        )
                    })
            }
        }

        impl ::core::convert::From<$ty> for &'static str {
            fn from(value: $ty) -> Self {
                value.as_str()
            }
        }

        impl ::core::convert::TryFrom<::std::string::String> for $ty {
            type Error = ::std::string::String;

            fn try_from(s: ::std::string::String) -> ::core::result::Result<Self, Self::Error> {
                s.parse()
            }
        }

        #[cfg(feature = "clap")]
        impl ::clap::ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &Self::ALL
            }

            fn to_possible_value(&self) -> ::core::option::Option<::clap::builder::PossibleValue> {
                ::core::option::Option::Some(
                    ::clap::builder::PossibleValue::new(self.as_str())
                        .aliases(self.aliases().iter().copied()),
                )
            }
        }
    };
}

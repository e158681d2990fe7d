//! Values that may be absent, kept in their own size.
//!
//! An `Option` of a number takes twice the number's size once its tag
//! is aligned, and a million message and connection records are kept at
//! once, each with several such values. [`Maybe`] instead gives one value
//! of the type the meaning "absent": one that no log writes.

/// A value that may be absent, in the size of the value alone.
#[derive(Clone, Copy)]
pub struct Maybe<T: Absent>(T);

/// A time in milliseconds that may be absent.
pub type Stamp = Maybe<crate::parse::fields::Millis>;

/// Seconds that may be absent.
pub type MaybeSeconds = Maybe<f64>;

/// The values a [`Maybe`] holds, with the one that stands for absent.
pub trait Absent: Copy + PartialEq + std::fmt::Debug {
    /// The value that stands for absent.
    const ABSENT: Self;

    /// Whether this is the value that stands for absent.
    fn is_absent(self) -> bool;
}

/// Whole numbers: the smallest time, and the largest size, count, thread
/// id or reply code, which no log comes near (a log that wrote one anyway
/// would read as absent there).
macro_rules! absent_at {
    ($($t:ty = $absent:expr),*) => {$(
        impl Absent for $t {
            const ABSENT: $t = $absent;

            fn is_absent(self) -> bool {
                self == $absent
            }
        }
    )*};
}

absent_at!(i64 = i64::MIN, u16 = u16::MAX, u32 = u32::MAX, u64 = u64::MAX);

/// Seconds: NaN. No time can be NaN, since each is read from digits or
/// computed from such.
impl Absent for f64 {
    const ABSENT: f64 = f64::NAN;

    fn is_absent(self) -> bool {
        self.is_nan()
    }
}

impl<T: Absent> Maybe<T> {
    /// No value.
    pub const NONE: Maybe<T> = Maybe(T::ABSENT);

    /// A value, or none.
    pub fn new(value: Option<T>) -> Maybe<T> {
        value.map_or(Self::NONE, Maybe)
    }

    /// The value, if there is one.
    pub fn get(self) -> Option<T> {
        (!self.0.is_absent()).then_some(self.0)
    }
}

impl<T: Absent> Default for Maybe<T> {
    fn default() -> Maybe<T> {
        Self::NONE
    }
}

/// Equal when both are absent or both hold equal values, NaN or not.
impl<T: Absent> PartialEq for Maybe<T> {
    fn eq(&self, other: &Maybe<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Absent + Eq> Eq for Maybe<T> {}

impl<T: Absent> std::fmt::Debug for Maybe<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_and_its_absence_come_back() {
        for time in
            [None, Some(0), Some(-1), Some(1_780_000_000_000), Some(i64::MAX)]
        {
            assert_eq!(Stamp::new(time).get(), time);
        }
        assert_eq!(Stamp::default(), Stamp::NONE);
        assert_eq!(format!("{:?}", Stamp::new(Some(5))), "Some(5)");
        for n in [None, Some(0), Some(421), Some(u16::MAX - 1)] {
            assert_eq!(Maybe::new(n).get(), n);
        }
        assert_eq!(Maybe::new(Some(u64::MAX - 1)).get(), Some(u64::MAX - 1));
        assert_eq!(Maybe::<u32>::default().get(), None);
        for s in [None, Some(0.0), Some(-0.0), Some(89.53)] {
            assert_eq!(MaybeSeconds::new(s).get(), s);
        }
        assert_eq!(MaybeSeconds::NONE, MaybeSeconds::default());
        assert_ne!(MaybeSeconds::NONE, MaybeSeconds::new(Some(0.0)));
    }
}

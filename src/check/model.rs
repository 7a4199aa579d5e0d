//! Models in the compact notation: layer names, arguments and shapes, with a
//! diagnostic on the layer that breaks.

use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::plan::{Layer, ModelPlan, Shape};
use crate::registry::{self, tasks};
use crate::syntax::ast::{LayerSpec, ModelSpec};

/// A layer as a message describes it: `C(k): 3 × 3 convolution to k channels`.
fn described(spec: &registry::Spec) -> String {
    format!("{}: {}", tasks::layer_usage(spec), spec.summary)
}

/// Resolves a model for images of `input` (C, H, W) and `classes` outputs.
pub(crate) fn resolve(
    spec: &ModelSpec,
    input: [usize; 3],
    classes: usize,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<ModelPlan> {
    let before = crate::diagnostic::error_count(errors);
    let declared: Vec<usize> = match spec.shape.as_slice() {
        [c, h, w] => vec![*c, *h, *w],
        [c, hw] => vec![*c, *hw, *hw],
        other => other.to_vec(),
    };
    if declared != input {
        errors.push(
            Diag::new(
                Code::Shape,
                src,
                spec.shape_span,
                format!("the model takes ({}) but the data's images are ({})", join(&declared), join(&input)),
            )
            .label("does not match the data")
            .help(format!("write `({})` for this data set", join(&input))),
        );
    }
    let mut layers = vec![];
    let mut shape = Shape::Image(input);
    for l in &spec.layers {
        let Some(layer) = layer(l, src, errors) else { continue };
        match layer.apply(shape) {
            Ok(next) => shape = next,
            Err(why) => {
                errors.push(
                    Diag::new(
                        Code::Shape,
                        src,
                        l.span,
                        format!("`{}` cannot follow: it {why}", l.name.clone() + &arg_text(l)),
                    )
                    .label(format!("input here is {shape}"))
                    .help("flatten with `L(k)` only after the convolutions and poolings"),
                );
                return None;
            }
        }
        layers.push(layer);
    }
    if crate::diagnostic::error_count(errors) > before {
        return None;
    }
    if shape != Shape::Flat(classes) {
        let last = spec.layers.last().map_or(spec.span, |l| l.span);
        errors.push(
            Diag::new(Code::Shape, src, last, format!("the model outputs {shape}, but the data has {classes} classes"))
                .label("the last layer")
                .help(format!("end the model with `L({classes})`")),
        );
        return None;
    }
    Some(ModelPlan { input, layers })
}

fn layer(l: &LayerSpec, src: &SourceFile, errors: &mut Vec<Diag>) -> Option<Layer> {
    let needs = |errors: &mut Vec<Diag>, what: &str| {
        errors.push(
            Diag::new(Code::WrongValue, src, l.span, format!("`{}` needs {what}", l.name))
                .label("missing or wrong argument")
                .help(
                    tasks::LAYERS
                        .iter()
                        .find(|s| s.name == l.name)
                        .map_or(String::new(), |s| format!("write {}", described(s))),
                ),
        );
        None
    };
    let count =
        l.arg.filter(|a| a.fract() == 0.0 && *a >= 1.0 && *a <= super::limits::MAX_LAYER_WIDTH).map(|a| a as usize);
    match (l.name.as_str(), l.arg) {
        ("C", _) => {
            count.map(|out| Layer::Conv { out }).or_else(|| needs(errors, "a whole number of channels, at most 65,536"))
        }
        ("L", _) => count
            .map(|out| Layer::Linear { out })
            .or_else(|| needs(errors, "a whole number of outputs, at most 65,536")),
        ("D", Some(p)) if (0.0..1.0).contains(&p) => Some(Layer::Dropout { p }),
        ("D", _) => needs(errors, "a probability in [0, 1)"),
        ("R", None) => Some(Layer::Relu),
        ("M", None) => Some(Layer::MaxPool),
        ("B", None) => Some(Layer::BatchNorm),
        ("R" | "M" | "B", Some(_)) => {
            errors.push(
                Diag::new(Code::WrongValue, src, l.span, format!("`{}` takes no argument", l.name))
                    .label("remove the argument")
                    .help(format!("write `{}`", l.name)),
            );
            None
        }
        (other, _) => {
            let d = Diag::new(Code::Unknown, src, l.span, format!("unknown layer `{other}`")).label("not a layer");
            let list = tasks::LAYERS.iter().map(described).collect::<Vec<_>>().join("; ");
            errors.push(match did_you_mean(&other.to_uppercase(), tasks::LAYERS.iter().map(|s| s.name)) {
                Some(n) if n != other => d.help(format!("did you mean `{n}`? The layers are {list}")),
                _ => d.help(format!("the layers are {list}")),
            });
            None
        }
    }
}

fn arg_text(l: &LayerSpec) -> String {
    l.arg.map(|a| format!("({a})")).unwrap_or_default()
}

fn join(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

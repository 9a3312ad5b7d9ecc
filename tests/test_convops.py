import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vaelab.convops import (
    GEMM_MAX_PIXELS,
    MAX_OUT_CHANNELS,
    SUM_BIAS_MIN_OUT_CHANNELS,
    FastConv2d,
    FastConvTranspose2d,
    _ConvK4S2Gemm,
    _ConvTransposeK4S2,
    _ConvTransposeK4S2Gemm,
    _ConvTransposeSumBias,
    conv_transpose_k4s2,
    use_stock_layers,
)
from vaelab.nets import build_networks


def _pair(cin: int, cout: int, bias: bool = True, **kwargs):
    torch.manual_seed(0)
    ours = FastConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=bias, **kwargs).double()
    torch.manual_seed(0)
    ref = nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=bias, **kwargs).double()
    return ours, ref


def _outputs_and_grads(layer: nn.Module, x: torch.Tensor, g: torch.Tensor):
    x = x.detach().clone().requires_grad_()
    y = layer(x)
    params = [p for p in layer.parameters()]
    grads = torch.autograd.grad(y, [x, *params], g)
    return y, grads


@pytest.mark.parametrize("n,c,h,w,o", [(2, 32, 8, 8, 1), (3, 5, 7, 9, 3), (1, 4, 1, 1, 2), (2, 3, 2, 5, 4)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_matches_torch_conv_transpose_in_float64(n, c, h, w, o, bias, layout):
    x = torch.randn(n, c, h, w, dtype=torch.float64).contiguous(memory_format=layout)
    weight = torch.randn(c, o, 4, 4, dtype=torch.float64)
    b = torch.randn(o, dtype=torch.float64) if bias else None
    g = torch.randn(n, o, 2 * h, 2 * w, dtype=torch.float64)
    results = []
    for f in (conv_transpose_k4s2, lambda *a: F.conv_transpose2d(*a, stride=2, padding=1)):
        inputs = [t.detach().clone().requires_grad_() for t in (x, weight, *([b] if bias else []))]
        y = f(inputs[0], inputs[1], inputs[2] if bias else None)
        results.append((y, torch.autograd.grad(y, inputs, g)))
    (y, grads), (y_ref, grads_ref) = results
    assert y.shape == y_ref.shape == (n, o, 2 * h, 2 * w)
    torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-12)
    for a, r in zip(grads, grads_ref):
        torch.testing.assert_close(a, r, rtol=1e-12, atol=1e-12)


def test_the_layer_takes_the_product_path_and_matches_its_parent(monkeypatch):
    ours, ref = _pair(32, 1)
    x = torch.randn(2, 32, 8, 8, dtype=torch.float64).contiguous(memory_format=torch.channels_last)
    g = torch.randn(2, 1, 16, 16, dtype=torch.float64)
    calls = []
    apply = _ConvTransposeK4S2.apply
    monkeypatch.setattr(_ConvTransposeK4S2, "apply", lambda *a: calls.append(1) or apply(*a))
    y, grads = _outputs_and_grads(ours, x, g)
    assert calls == [1]
    y_ref, grads_ref = _outputs_and_grads(ref, x, g)
    torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-12)
    for a, r in zip(grads, grads_ref):
        torch.testing.assert_close(a, r, rtol=1e-12, atol=1e-12)


def test_float32_agrees_to_rounding():
    ours, ref = _pair(32, 1)
    ours, ref = ours.float(), ref.float()
    x = torch.randn(4, 32, 16, 16).contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)


def test_gradcheck():
    x = torch.randn(2, 3, 3, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(conv_transpose_k4s2, (x, w, b))
    assert torch.autograd.gradgradcheck(lambda x, w: conv_transpose_k4s2(x, w).square().sum(), (x, w))


def test_only_the_grads_asked_for_are_computed():
    ours, _ = _pair(6, 1)
    x = torch.randn(2, 6, 4, 4, dtype=torch.float64)
    ours.weight.requires_grad_(False)
    y = ours(x)
    y.sum().backward()
    assert ours.weight.grad is None and ours.bias.grad is not None
    with torch.no_grad():
        assert not ours(x).requires_grad


def test_other_shapes_use_the_parent_unchanged(monkeypatch):
    calls = []
    monkeypatch.setattr("vaelab.convops._ConvTransposeK4S2.apply", lambda *a: calls.append(1))
    cases = [
        (FastConvTranspose2d(2, MAX_OUT_CHANNELS + 1, 4, stride=2, padding=1), nn.ConvTranspose2d, (1, 2, 3, 3), {}),
        (FastConvTranspose2d(2, 1, 3, stride=2, padding=1), nn.ConvTranspose2d, (1, 2, 3, 3), {}),
        (FastConvTranspose2d(2, 1, 4, stride=2, padding=1, output_padding=1), nn.ConvTranspose2d, (1, 2, 3, 3), {}),
        (FastConvTranspose2d(2, 1, 4, stride=2, padding=1), nn.ConvTranspose2d, (2, 3, 3), {}),
        (FastConvTranspose2d(2, 1, 4, stride=2, padding=1), nn.ConvTranspose2d, (1, 2, 3, 3), {"output_size": [7, 7]}),
    ]
    for layer, parent, shape, kwargs in cases:
        x = torch.randn(*shape)
        expected = parent.forward(layer, x, **kwargs)
        assert torch.equal(layer(x, **kwargs), expected)
    assert calls == []


def test_parameters_state_dict_and_initialisation_are_the_parents():
    ours, ref = _pair(32, 1)
    assert ours.state_dict().keys() == ref.state_dict().keys()
    for (ka, a), (kb, b) in zip(ours.state_dict().items(), ref.state_dict().items()):
        assert ka == kb and torch.equal(a, b)
    plain = nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1).double()
    plain.load_state_dict(ours.state_dict())


def test_networks_use_it_for_the_image_layer():
    _, dec = build_networks("dsprites", (1, 64, 64), latent_dim=6, head=2)
    layers = [m for m in dec.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert all(isinstance(m, FastConvTranspose2d) for m in layers)
    assert layers[-1].out_channels == 1 and layers[-1]._path(torch.zeros(1, 32, 32, 32)) == "product"
    assert layers[0]._path(torch.zeros(1, 64, 4, 4)) == "sum_bias"


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="weight"):
        conv_transpose_k4s2(torch.zeros(1, 3, 4, 4), torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match="weight"):
        conv_transpose_k4s2(torch.zeros(1, 3, 4, 4), torch.zeros(3, 1, 3, 3))


def test_jvp_vmap_and_forward_mode_use_the_parent():
    import torch.autograd.forward_ad as forward_ad
    from torch.func import jvp, vmap

    ours, ref = _pair(4, 1)
    x, t = torch.randn(2, 4, 3, 3, dtype=torch.float64), torch.randn(3, 2, 4, 3, 3, dtype=torch.float64)
    got = vmap(lambda v: jvp(ours, (x,), (v,))[1])(t)
    want = vmap(lambda v: jvp(ref, (x,), (v,))[1])(t)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    with forward_ad.dual_level():
        a = forward_ad.unpack_dual(ours(forward_ad.make_dual(x, t[0]))).tangent
        b = forward_ad.unpack_dual(ref(forward_ad.make_dual(x, t[0]))).tangent
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_a_torch_without_the_private_probes_gets_the_stock_layer(monkeypatch):
    import torch.autograd.forward_ad as forward_ad

    layer = FastConvTranspose2d(4, 1, 4, stride=2, padding=1)
    x = torch.zeros(1, 4, 3, 3)
    assert layer._path(x) == "product"
    monkeypatch.delattr(forward_ad, "_current_level")
    assert layer._path(x) == "stock"


SUM_BIAS_CASES = [  # in, out, layer options, input (N, C, H, W), forward options
    (5, 16, dict(kernel_size=4, stride=2, padding=1), (2, 5, 3, 4), {}),
    (4, 32, dict(kernel_size=5, stride=2, padding=2, output_padding=1), (2, 4, 3, 3), {}),
    (3, 16, dict(kernel_size=3, stride=1, padding=1, dilation=2), (1, 3, 4, 5), {}),
    (4, 16, dict(kernel_size=4, stride=2, padding=1, groups=2), (2, 4, 3, 3), {}),
    (6, 16, dict(kernel_size=4, stride=2, padding=1), (1, 6, 3, 3), {"output_size": [7, 7]}),
]


@pytest.mark.parametrize("cin,cout,options,shape,kwargs", SUM_BIAS_CASES)
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_the_summed_bias_form_matches_torch_in_float64(monkeypatch, cin, cout, options, shape, kwargs, layout):
    torch.manual_seed(0)
    ours = FastConvTranspose2d(cin, cout, **options).double()
    ref = nn.ConvTranspose2d(cin, cout, **options).double()
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(*shape, dtype=torch.float64).contiguous(memory_format=layout)
    g = torch.randn_like(ref(x, **kwargs))
    calls = []
    apply = _ConvTransposeSumBias.apply
    monkeypatch.setattr(_ConvTransposeSumBias, "apply", lambda *a: calls.append(1) or apply(*a))
    results = []
    for layer in (ours, ref):
        xi = x.detach().clone().requires_grad_()
        y = layer(xi, **kwargs)
        results.append((y, torch.autograd.grad(y, [xi, layer.weight, layer.bias], g)))
    assert calls == [1]
    (y, grads), (y_ref, grads_ref) = results
    assert y.shape == y_ref.shape
    torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-12)
    for a, r in zip(grads, grads_ref):
        torch.testing.assert_close(a, r, rtol=1e-12, atol=1e-12)


def test_the_summed_bias_form_keeps_onednn_input_and_weight_gradients_bitwise():
    torch.manual_seed(0)
    ours = FastConvTranspose2d(32, 32, 4, stride=2, padding=1).to(memory_format=torch.channels_last)
    ref = nn.ConvTranspose2d(32, 32, 4, stride=2, padding=1).to(memory_format=torch.channels_last)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(8, 32, 16, 16).contiguous(memory_format=torch.channels_last)
    g = torch.randn(8, 32, 32, 32).contiguous(memory_format=torch.channels_last)
    assert ours._path(x) == "sum_bias"
    grads = [torch.autograd.grad(layer(xi := x.clone().requires_grad_()), [xi, layer.weight, layer.bias], g)
             for layer in (ours, ref)]
    assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])
    torch.testing.assert_close(grads[0][2], grads[1][2], rtol=1e-5, atol=1e-4)


def test_the_summed_bias_form_has_second_derivatives():
    x = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 4, 4, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    f = lambda x, w, b: _ConvTransposeSumBias.apply(x, w, b, (2, 2), (1, 1), (0, 0), 1, (1, 1))
    assert torch.autograd.gradcheck(f, (x, w, b))
    assert torch.autograd.gradgradcheck(f, (x, w, b))


def test_the_summed_bias_form_is_only_taken_where_it_pays():
    x = torch.zeros(1, 4, 3, 3)
    wide = FastConvTranspose2d(4, SUM_BIAS_MIN_OUT_CHANNELS, 4, stride=2, padding=1)
    narrow = FastConvTranspose2d(4, SUM_BIAS_MIN_OUT_CHANNELS - 1, 4, stride=2, padding=1)
    no_bias = FastConvTranspose2d(4, SUM_BIAS_MIN_OUT_CHANNELS, 4, stride=2, padding=1, bias=False)
    assert wide._path(x) == "sum_bias"
    assert narrow._path(x) == no_bias._path(x) == "stock"
    with torch.no_grad():
        assert wide._path(x) == "stock"
    wide.requires_grad_(False)
    assert wide._path(x) == "stock" and wide._path(x.requires_grad_()) == "sum_bias"


def test_the_summed_bias_form_leaves_jvp_and_vmap_to_the_parent():
    from torch.func import jvp, vmap

    torch.manual_seed(0)
    ours = FastConvTranspose2d(4, 16, 4, stride=2, padding=1).double()
    ref = nn.ConvTranspose2d(4, 16, 4, stride=2, padding=1).double()
    ref.load_state_dict(ours.state_dict())
    x, t = torch.randn(2, 4, 3, 3, dtype=torch.float64), torch.randn(3, 2, 4, 3, 3, dtype=torch.float64)
    got = vmap(lambda v: jvp(ours, (x,), (v,))[1])(t)
    want = vmap(lambda v: jvp(ref, (x,), (v,))[1])(t)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


GEMM_CASES = [  # layer, input shape: the 2x2 side of the MNIST network and small odd shapes
    (lambda bias: FastConv2d(6, 5, 4, stride=2, padding=1, bias=bias), (2, 6, 4, 4)),
    (lambda bias: FastConv2d(3, 7, 4, stride=2, padding=1, bias=bias), (3, 3, 2, 4)),
    (lambda bias: FastConv2d(2, 3, 4, stride=2, padding=1, bias=bias), (1, 2, 2, 2)),
    (lambda bias: FastConvTranspose2d(6, 5, 4, stride=2, padding=1, bias=bias), (2, 6, 2, 2)),
    (lambda bias: FastConvTranspose2d(3, 7, 4, stride=2, padding=1, bias=bias), (3, 3, 1, 2)),
    (lambda bias: FastConvTranspose2d(2, 3, 4, stride=2, padding=1, bias=bias), (1, 2, 1, 1)),
]


@pytest.mark.parametrize("make,shape", GEMM_CASES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_the_gemm_form_matches_torch_in_float64(monkeypatch, make, shape, bias, layout):
    torch.manual_seed(0)
    ours = make(bias).double().to(memory_format=layout)
    ref = use_stock_layers(make(bias).double())
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(*shape, dtype=torch.float64).contiguous(memory_format=layout)
    assert ours._path(x) == "gemm"
    calls = []
    function = _ConvK4S2Gemm if isinstance(ours, nn.Conv2d) else _ConvTransposeK4S2Gemm
    apply = function.apply
    monkeypatch.setattr(function, "apply", lambda *a: calls.append(1) or apply(*a))
    y, grads = _outputs_and_grads(ours, x, g := torch.randn_like(ref(x)))
    y_ref, grads_ref = _outputs_and_grads(ref, x, g)
    assert calls == [1] and y.shape == y_ref.shape and len(grads) == (3 if bias else 2)
    torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-12)
    for a, r in zip(grads, grads_ref):
        torch.testing.assert_close(a, r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("function,shape,weight", [(_ConvK4S2Gemm, (2, 3, 4, 2), (4, 3, 4, 4)),
                                                   (_ConvTransposeK4S2Gemm, (2, 3, 2, 1), (3, 4, 4, 4))])
def test_the_gemm_form_has_second_derivatives(function, shape, weight):
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    w = torch.randn(*weight, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(function.apply, (x, w, b))
    assert torch.autograd.gradgradcheck(function.apply, (x, w, b))


def test_the_gemm_form_is_only_taken_for_a_small_side():
    conv = FastConv2d(8, 8, 4, stride=2, padding=1)
    convt = FastConvTranspose2d(8, 8, 4, stride=2, padding=1)
    side = int(GEMM_MAX_PIXELS ** 0.5)
    assert conv._path(torch.zeros(1, 8, 2 * side, 2 * side)) == "gemm"
    assert convt._path(torch.zeros(1, 8, side, side)) == "gemm"
    assert conv._path(torch.zeros(1, 8, 2 * side + 2, 2 * side)) == "stock"
    assert convt._path(torch.zeros(1, 8, side + 1, side)) == "stock"
    assert conv._path(torch.zeros(1, 8, 3, 3)) == "stock"  # odd sizes: oneDNN
    for other in (FastConv2d(8, 8, 3, stride=2, padding=1), FastConv2d(8, 8, 4, stride=1, padding=1),
                  FastConv2d(8, 8, 4, stride=2, padding=0), FastConv2d(8, 8, 4, stride=2, padding=1, groups=2),
                  FastConv2d(8, 8, 4, stride=2, padding=1, padding_mode="reflect")):
        x = torch.zeros(1, 8, 4, 4)
        assert other._path(x) == "stock"
        assert torch.equal(other(x), nn.Conv2d.forward(other, x))


def test_the_conv_gemm_form_leaves_jvp_and_vmap_to_the_parent():
    from torch.func import jvp, vmap

    torch.manual_seed(0)
    ours = FastConv2d(4, 6, 4, stride=2, padding=1).double()
    ref = use_stock_layers(FastConv2d(4, 6, 4, stride=2, padding=1).double())
    ref.load_state_dict(ours.state_dict())
    x, t = torch.randn(2, 4, 4, 4, dtype=torch.float64), torch.randn(3, 2, 4, 4, 4, dtype=torch.float64)
    got = vmap(lambda v: jvp(ours, (x,), (v,))[1])(t)
    want = vmap(lambda v: jvp(ref, (x,), (v,))[1])(t)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_use_stock_layers_keeps_parameters_and_outputs():
    torch.manual_seed(0)
    enc, dec = build_networks("mnist", (1, 32, 32), latent_dim=4, head=2)
    fast = [m for m in enc.modules() if isinstance(m, FastConv2d)] + [m for m in dec.modules()
                                                                      if isinstance(m, FastConvTranspose2d)]
    assert any(m._path(torch.zeros(1, m.in_channels, 4, 4)) == "gemm" for m in fast if isinstance(m, FastConv2d))
    x = torch.rand(3, 1, 32, 32)
    enc.eval(), dec.eval()
    before = dec(enc(x)[:, :4])
    keys = enc.state_dict().keys() | dec.state_dict().keys()
    use_stock_layers(enc), use_stock_layers(dec)
    assert not any(isinstance(m, (FastConv2d, FastConvTranspose2d)) for m in [*enc.modules(), *dec.modules()])
    assert enc.state_dict().keys() | dec.state_dict().keys() == keys
    torch.testing.assert_close(dec(enc(x)[:, :4]), before, rtol=1e-4, atol=1e-5)


FORMS = [  # a layer of each custom form and an input that takes it
    (lambda: FastConvTranspose2d(8, 1, 4, stride=2, padding=1), (2, 8, 3, 3), "product"),
    (lambda: FastConvTranspose2d(8, 16, 4, stride=2, padding=1), (2, 8, 3, 3), "sum_bias"),
    (lambda: FastConvTranspose2d(8, 4, 4, stride=2, padding=1), (2, 8, 2, 2), "gemm"),
    (lambda: FastConv2d(8, 4, 4, stride=2, padding=1), (2, 8, 4, 4), "gemm"),
]


@pytest.mark.parametrize("make,shape,form", FORMS)
def test_autocast_runs_the_stock_layer(make, shape, form):
    torch.manual_seed(0)
    ours = make()
    ref = use_stock_layers(make())
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(*shape)
    assert ours._path(x) == form
    outs = []
    for layer in (ours, ref):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert layer is ref or layer._path(x) == "stock"
            y = layer(x)
        y.float().square().sum().backward()
        outs.append((y, layer.weight.grad))
    assert outs[0][0].dtype == outs[1][0].dtype == torch.bfloat16
    assert torch.equal(outs[0][0], outs[1][0]) and torch.equal(outs[0][1], outs[1][1])


@pytest.mark.parametrize("make,shape,form", FORMS)
def test_an_empty_batch_gets_the_stock_layers_result(make, shape, form):
    layer = make()
    x = torch.zeros(0, *shape[1:])
    assert layer._path(x) == "stock"
    assert layer(x).shape == use_stock_layers(make())(x).shape


@pytest.mark.parametrize("make,shape,form", FORMS)
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_outputs_keep_the_stock_layers_memory_layout(make, shape, form, layout):
    layer = make()
    x = torch.randn(*shape).contiguous(memory_format=layout)
    assert layer._path(x) == form
    y, ref = layer(x), use_stock_layers(make())(x)
    assert y.is_contiguous(memory_format=layout) == ref.is_contiguous(memory_format=layout)
    if layout == torch.contiguous_format:
        assert y.is_contiguous()

import keras_hub
import pytest

from clear_tf.model_stats import format_model_stats
from clear_tf.models.clear import CLEAR


@pytest.fixture(scope="module")
def tiny_model():
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=10,
        num_layers=1,
        num_heads=2,
        hidden_dim=4,
        intermediate_dim=8,
        max_sequence_length=8,
    )
    return CLEAR(
        backbone,
        feature_dim=6,
        num_pre_clips=8,
        num_clips=4,
        hidden_dim=4,
        tcn_channels=[4, 2],
        tcn_kernel_size=3,
        tree_depth=2,
    )


def test_parameter_counts_by_hand(tiny_model):
    stats = tiny_model.model_stats(num_tokens=5)["parameters"]
    # Bi-TCN block 0: conv 3·6·4+4, projection 6·4+4; block 1: conv 3·4·2+2, projection
    # 4·2+2; moment MLP 2·4+4.
    assert stats["video_encoder"] == 76 + 28 + 26 + 10 + 12
    assert stats["query_projection"] == 4 * 4 + 4
    assert stats["fine_head"] == (4 * 4 + 4) + (4 + 1)
    assert stats["trainable"] == 152 + 20 + 25
    assert stats["frozen"] == stats["text_backbone"] == tiny_model.text_backbone.count_params()
    assert stats["total"] == stats["trainable"] + stats["frozen"]


def test_flops_by_hand(tiny_model):
    stats = tiny_model.model_stats(num_tokens=5)
    video = stats["flops_per_video"]
    # N = 8 units: block 0 conv 8·3·6·4·2 + projection 8·6·4·2; block 1 8·3·4·2·2 + 8·4·2·2.
    assert video["bi_tcn"] == 1152 + 384 + 384 + 128
    assert video["clip_pooling"] == 8 * 2
    assert video["moment_map"] == 6 * 2  # L(L-1)/2 = 6 max comparisons per channel
    assert video["moment_mlp"] == 16 * 2 * 4 * 2
    assert video["total"] == 2048 + 16 + 12 + 256
    query = stats["flops_per_query"]
    # One BERT layer, h = 4, inner 8, S = 5: projections 4·5·4·4·2, attention 2·5·5·4·2,
    # feed-forward 2·5·4·8·2.
    assert query["text_encoder"] == 640 + 400 + 640
    assert query["query_projection"] == 32
    assert query["anchor_similarity"] == 3 * 4 * 2
    assert query["coarse_scores"] == 16 * 4 * 2
    assert query["fusion"] == 16 * 4
    assert query["fine_head_per_candidate"] == 4 * 4 * 2 + 4 * 2
    assert query["fine_head"] == 16 * 40
    assert query["num_candidates"] == 10
    assert query["total"] == 1680 + 32 + 24 + 128 + 64 + 640


def test_table_lists_every_entry(tiny_model):
    stats = tiny_model.model_stats(num_tokens=5)
    table = format_model_stats(stats)
    for section in stats.values():
        for name in section:
            assert name in table
    assert "2,332" in table

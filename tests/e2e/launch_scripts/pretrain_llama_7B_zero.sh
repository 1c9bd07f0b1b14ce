# examples/llama/pretrain_llama_7B_zero_8p.sh, paths and sizes tiny.
DATA=$WORK/data_text_document
CHECKPOINT=$WORK/ckpt

DS_CONFIG=$WORK/deepspeed_config_7B.json
ZERO_STAGE=2
GLOBAL_BATCH=4
MICRO_BATCH=2

cat <<EOT > $DS_CONFIG
{
    "fp16": {"enabled": true, "loss_scale": 0, "loss_scale_window": 1000,
             "initial_scale_power": 8, "hysteresis": 2, "min_loss_scale": 1},
    "optimizer": {"type": "Adam"},
    "zero_optimization": {"stage": $ZERO_STAGE},
    "gradient_accumulation_steps": 1,
    "train_batch_size": $GLOBAL_BATCH,
    "train_micro_batch_size_per_gpu":$MICRO_BATCH,
    "zero_allow_untested_optimizer": true
}
EOT

ds_args=""
ds_args=" --deepspeed ${ds_args}"
ds_args=" --no-pipeline-parallel ${ds_args}"
ds_args=" --deepspeed_config=$DS_CONFIG ${ds_args}"
ds_args=" --zero-stage=$ZERO_STAGE ${ds_args}"
ds_args=" --deepspeed-activation-checkpointing ${ds_args}"

$ASCENT train \
       --DDP-impl local \
       --tensor-model-parallel-size 1 \
       --pipeline-model-parallel-size 1 \
       --num-layers 2 \
       --hidden-size 32 \
       --ffn-hidden-size 64 \
       --num-attention-heads 4 \
       --micro-batch-size $MICRO_BATCH \
       --global-batch-size $GLOBAL_BATCH \
       --seq-length 32 \
       --max-position-embeddings 32 \
       --train-iters $ITERS \
       --lr-decay-iters 320000 \
       --save $CHECKPOINT \
       --data-path $DATA \
       --tokenizer-name-or-path $WORK/tokenizer/ \
       --tokenizer-not-use-fast \
       --data-impl mmap \
       --split 949,50,1 \
       --distributed-backend nccl \
       --lr 0.000015 \
       --lr-decay-style cosine \
       --min-lr 1.0e-6 \
       --weight-decay 1e-2 \
       --clip-grad 1.0 \
       --lr-warmup-fraction .01 \
       --checkpoint-activations \
       --log-interval 1 \
       --save-interval 10000 \
       --eval-interval 1000 \
       --eval-iters 1 \
       $ds_args \
       --fp16
